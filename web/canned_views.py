"""Supervisors keep the canned replies in the app (/supervisor/canned/): add, edit, delete.

A plain server-rendered page with POST forms (CSRF-protected), no script needed.
"""

from __future__ import annotations

import re

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from queueing.models import CannedReply
from web.views import SUPERVISOR_PAGES, roles_required

SHORTCUT = re.compile(r"^/[A-Za-z0-9_-]{1,19}$")


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "shortcut", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "title": {"required": "Give the reply a title."},
            "text": {"required": "Write the reply's text."},
        }
        help_texts = {"shortcut": "Optional: / and up to 19 letters, digits, - or _ (agents type it, then Tab)."}

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the reply a title.")
        return title

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write the reply's text.")
        if len(text) > 2000:
            raise forms.ValidationError("Keep the reply under 2000 characters.")
        return text

    def clean_shortcut(self) -> str:
        shortcut = self.cleaned_data["shortcut"].strip()
        if shortcut and not SHORTCUT.match(shortcut):
            raise forms.ValidationError("A shortcut is / then up to 19 letters, digits, - or _, e.g. /hi.")
        taken = CannedReply.objects.filter(shortcut=shortcut).exclude(pk=self.instance.pk)
        if shortcut and taken.exists():
            raise forms.ValidationError(f"{shortcut} is already the shortcut of another reply.")
        return shortcut


@roles_required("supervisor")
def canned_replies(request: HttpRequest) -> HttpResponse:
    """GET: the list and an empty form (or ?edit=<id>). POST: add, save or delete one reply."""
    editing = None
    if request.method == "POST":
        if "delete" in request.POST:
            get_object_or_404(CannedReply, pk=request.POST.get("delete", "")).delete()
            return redirect("supervisor-canned")
        editing = get_object_or_404(CannedReply, pk=request.POST["id"]) if request.POST.get("id") else None
        form = CannedReplyForm(request.POST, instance=editing)
        if form.is_valid():
            form.save()
            return redirect("supervisor-canned")
    else:
        raw = request.GET.get("edit", "")
        editing = get_object_or_404(CannedReply, pk=raw) if raw.isdigit() else None
        form = CannedReplyForm(instance=editing)
    context = {
        "page": "canned",
        "page_title": SUPERVISOR_PAGES["canned"],
        "replies": CannedReply.objects.order_by("title"),
        "form": form,
        "editing": editing,
    }
    return render(request, "web/canned.html", context)
