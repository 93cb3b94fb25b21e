from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.exceptions import DomainError
from apps.core.permissions import staff_required

from . import selectors, services
from .forms import ContactForm, TicketFilterForm, TicketReplyForm

HELP_PAGE_SIZE = 10
TICKET_PAGE_SIZE = 25


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/home.html")


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/about.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without a request context: the failing request may be what broke.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)


# --- Policies ---------------------------------------------------------------------------------------


def policy_page(request: HttpRequest, slug: str) -> HttpResponse:
    policy = selectors.policy_get(slug=slug)
    return render(request, "pages/policy.html", {"policy": policy})


# --- Help Center ------------------------------------------------------------------------------------


def help_center(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    articles = selectors.help_article_list(search=search)
    page = Paginator(articles, HELP_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "pages/help_list.html", {"page": page, "search": search})


def help_article(request: HttpRequest, slug: str) -> HttpResponse:
    article = selectors.help_article_get(slug=slug)
    return render(request, "pages/help_article.html", {"article": article})


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {key: form.cleaned_data[key] for key in ("name", "email", "subject", "message")}
        try:
            services.support_ticket_open(**data, requester=request.user, request=request)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("pages:contact_sent")
    status = 400 if request.method == "POST" else 200
    return render(request, "pages/contact.html", {"form": form}, status=status)


def contact_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/contact_sent.html")


# --- Staff: support tickets --------------------------------------------------------------------------


@staff_required
def staff_ticket_list(request: HttpRequest) -> HttpResponse:
    filters = TicketFilterForm(request.GET)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    tickets = selectors.support_ticket_list(viewer=request.user, status=status)
    page = Paginator(tickets, TICKET_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.support_ticket_status_counts(viewer=request.user)
    context = {"page": page, "filters": filters, "status": status, "counts": counts}
    return render(request, "pages/staff/ticket_list.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def staff_ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.support_ticket_get(viewer=request.user, ticket_id=pk, with_replies=True)
    form = TicketReplyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.support_ticket_reply(
                actor=request.user, ticket=ticket, body=form.cleaned_data["body"], request=request
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Reply sent to {ticket.email}.")
            return redirect("staff_pages:ticket_detail", pk=ticket.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "pages/staff/ticket_detail.html", {"ticket": ticket, "form": form}, status=status)


@staff_required
@require_POST
@domain_errors_redirect("staff_pages:ticket_detail", "pk")
def staff_ticket_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_ticket_transition(request, pk, services.support_ticket_close, "Ticket closed.")


@staff_required
@require_POST
@domain_errors_redirect("staff_pages:ticket_detail", "pk")
def staff_ticket_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_ticket_transition(request, pk, services.support_ticket_reopen, "Ticket reopened.")


def _staff_ticket_transition(request: HttpRequest, pk: int, service, done_message: str) -> HttpResponse:
    ticket = selectors.support_ticket_get(viewer=request.user, ticket_id=pk)
    service(actor=request.user, ticket=ticket, request=request)
    messages.success(request, done_message)
    return redirect("staff_pages:ticket_detail", pk=ticket.pk)


@staff_required
def staff_ticket_panel(request: HttpRequest) -> HttpResponse:
    """For the admin dashboard: how many tickets wait, and the newest open ones."""
    tickets = selectors.support_ticket_list(viewer=request.user, status="open")[:5]
    counts = selectors.support_ticket_status_counts(viewer=request.user)
    return render(request, "pages/staff/_ticket_panel.html", {"tickets": tickets, "counts": counts})
