"""One admin page with one form that adds or changes a row (a gift of the catalog, a forum), shared by the staff
pages of the apps (under ``/staff/<app>/``; the view itself stays ``staff_required``).

The page renders ``template`` with ``form`` and ``context``. A valid POST calls ``save`` with the form's cleaned data,
and ``save`` calls the app's service, which checks the actor and writes the row and its audit entry. When it is
saved, ``message`` is flashed and the admin is sent to ``success_url``. A service's refusal (``DomainError``) shows
its message above the form; a POST that is invalid or refused renders the page again with 400 and writes nothing.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .exceptions import DomainError

Saved = TypeVar("Saved")


def staff_form_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    save: Callable[[dict[str, Any]], Saved],
    message: str | Callable[[Saved], str],
    success_url: str,
    template: str,
    context: Mapping[str, Any],
) -> HttpResponse:
    """The answer to a GET or POST of the page; ``message`` is the text, or makes it from what ``save`` returned."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = save(form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, message if isinstance(message, str) else message(saved))
                return redirect(success_url)
        status = 400
    return render(request, template, {**context, "form": form}, status=status)
