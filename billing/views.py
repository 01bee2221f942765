from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def usage(request):
    return render(request, "placeholder.html", {"title": "Usage & limits", "section": "billing"})
