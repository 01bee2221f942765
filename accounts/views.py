from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def users(request):
    return render(request, "placeholder.html", {"title": "Users & groups", "section": "settings"})
