from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def contact_index(request):
    return render(request, "placeholder.html", {"title": "Contacts", "section": "contacts"})
