"""Every text column of our models, and what the XSS test does with it: one list, so a new app adds its own.

``COVERED``: the browser test (``test_xss_browser.py``) writes the payloads into the field through the app's
own services, then loads each page named here in Chromium and checks that no dialog fires and no injected
element exists, and that the payload is on the page as text. ``EXCUSED``: columns no user writes (ids, keys,
codes, what a provider sent), with the reason; a whole model is excused by its label alone.

``test_xss_fields.py`` fails for a ``CharField`` or ``TextField`` of an ``apps.*`` model that is in neither
list. A new app (the shop, the community) adds its user-written fields to ``COVERED`` with a writer in the
browser test's world, or to ``EXCUSED`` with the reason.
"""

# field ("app_label.Model.field") -> the pages (URL names of the browser test's ``PAGES``) that show it
COVERED: dict[str, tuple[str, ...]] = {
    "accounts.User.display_name": ("messaging:conversation", "scheduling_manage:detail", "staff_accounts:user_detail"),
    "readers.ReaderProfile.display_name": ("readers:profile", "readers:directory"),
    "readers.ReaderProfile.headline": ("readers:profile", "readers:directory"),
    "readers.ReaderProfile.bio": ("readers:profile",),
    "messaging.Message.body": ("messaging:conversation",),
    "livesessions.SessionMessage.body": ("readings:summary",),
    "livesessions.SessionNote.body": ("readings:summary",),
    "livesessions.Review.body": ("readers:profile",),
    "livesessions.Review.reply_body": ("readers:profile",),
    "scheduling.Booking.intake_note": ("scheduling_manage:detail",),
    "live.Stream.title": ("live:stream", "live:home"),
    "live.Stream.description": ("live:stream",),
    "live.StreamMessage.body": ("live:stream",),
    "pages.SupportTicket.name": ("staff_pages:ticket_detail",),
    "pages.SupportTicket.subject": ("staff_pages:ticket_detail",),
    "pages.SupportTicket.message": ("staff_pages:ticket_detail",),
    "moderation.Report.details": ("moderation:report_detail",),
    "livesessions.ReadingSession.intake_note": ("readings:incoming_panel",),
    "accounts.ReaderApplication.bio": ("staff_accounts:application_detail",),
    "accounts.ReaderApplication.specialties": ("staff_accounts:application_detail",),
    "accounts.ReaderApplication.tools": ("staff_accounts:application_detail",),
    # The moderator's reason, shown to the suspended user in the banner on every page.
    "moderation.Suspension.reason": ("shop:order", "shop:cart"),
    # The catalog comes from Stripe, and a reader's product metadata (category, kind) is part of it.
    "shop.Product.name": ("shop:home", "shop:product", "shop:cart", "staff_shop:products"),
    "shop.Product.description": ("shop:product",),
    "shop.Product.category": ("shop:product",),
    "shop.Product.metadata_error": ("staff_shop:products",),  # quotes the product's metadata
    "shop.OrderItem.name": ("shop:orders", "shop:order", "staff_shop:order"),
    # What the buyer typed on Stripe Checkout (the address, a JSON field, is checked on the same pages).
    "shop.Order.shipping_name": ("shop:order", "staff_shop:order"),
    # Staff-written when shipping, shown to the buyer.
    "shop.Order.carrier": ("shop:order", "staff_shop:order"),
    "shop.Order.tracking_number": ("shop:order", "staff_shop:order"),
}

NOT_USER_TEXT = "written by the code (ids, keys, codes, names of things), never by a user"
PROVIDER = "what Stripe or Agora sent, or ids they gave; shown escaped on staff pages only"
STAFF_TEXT = "written by admins on staff pages (Django autoescapes it); not yet in the browser test"
FORUM_BROWSER_TEST = (
    "written by users; checked in a real browser by tests/e2e/test_community.py (titles, posts, quotes and file "
    "names on the forum pages), not yet in this test"
)
NOT_YET = "written by users; not yet in the browser test (add a writer and its pages to COVERED)"

EXCUSED: dict[str, str] = {
    "community.Thread.title": FORUM_BROWSER_TEST,
    "community.Post.body": FORUM_BROWSER_TEST,
    "community.Post.body_html": "the sanitiser's rendering of community.Post.body (nh3 allow-list); same browser test",
    "community.Post.hidden_reason": "a moderator's reason, or the moderation app's fixed text; shown escaped",
    "community.PostRevision.body": FORUM_BROWSER_TEST,
    "community.PostRevision.title": FORUM_BROWSER_TEST,
    "community.Attachment.filename": FORUM_BROWSER_TEST,
    "community.Attachment.storage_key": NOT_USER_TEXT,
    "community.Attachment.content_type": NOT_USER_TEXT,
    "community.Category.name": STAFF_TEXT,
    "community.Category.description": STAFF_TEXT,
    "community.Category.slug": NOT_USER_TEXT,
    "core.AuditLog": NOT_USER_TEXT,
    "core.OutboxMessage": NOT_USER_TEXT,
    "accounts.User.password": "a password hash, never shown",
    "accounts.User.email": "validated as an email address (no markup characters get through)",
    "pages.SupportTicket.email": "validated as an email address (no markup characters get through)",
    "accounts.User.timezone": "chosen from the IANA zone names (validated)",
    "accounts.ReaderApplication.decision_reason": STAFF_TEXT,
    "pages.Policy": STAFF_TEXT,
    "pages.HelpArticle": STAFF_TEXT,
    "pages.SupportReply": STAFF_TEXT,
    "wallet.Account": NOT_USER_TEXT,
    "wallet.Transaction": NOT_USER_TEXT,
    "wallet.LedgerCheckRun": NOT_USER_TEXT,
    "wallet.StripeEvent": PROVIDER,
    "wallet.TopUp": PROVIDER,
    "wallet.Refund": STAFF_TEXT,
    "wallet.Dispute": PROVIDER,
    "wallet.ReconciliationRun": NOT_USER_TEXT,
    "rtc.RtcTokenGrant": NOT_USER_TEXT,
    "rtc.RtcConnectionEvent": "a browser's connection report: use and object id by regex, reason up to 64 characters",
    "rtc.NcsEvent": PROVIDER,
    "rtc.NcsSequence": PROVIDER,
    "rtc.PresenceSignal": NOT_USER_TEXT,
    "readers.Specialty": STAFF_TEXT,
    "readers.Tool": STAFF_TEXT,
    "readers.Language": STAFF_TEXT,
    "readers.ReaderProfile.suspension_reason": STAFF_TEXT,
    "notifications.Notification": "built by the code from the covered fields (names, titles), shown escaped",
    "livesessions.ReadingSession.prepaid_subject_type": NOT_USER_TEXT,
    "livesessions.ReadingSession.channel_name": NOT_USER_TEXT,
    "livesessions.ReadingSession.settlement_error": NOT_USER_TEXT,
    "livesessions.SessionEvent": NOT_USER_TEXT,
    "livesessions.Review.hidden_reason": STAFF_TEXT,
    "scheduling.ReaderSchedule": "a time zone chosen from the IANA names (validated)",
    "scheduling.TimeBlock.note": NOT_YET,
    "scheduling.Booking.client_timezone": NOT_USER_TEXT,
    "scheduling.Booking.reader_timezone": NOT_USER_TEXT,
    "scheduling.Booking.idempotency_key": NOT_USER_TEXT,
    "scheduling.Booking.cancel_reason": NOT_YET,
    "scheduling.BookingInvite": NOT_USER_TEXT,
    "moderation.Report.decision_note": STAFF_TEXT,
    "live.Stream.channel_name": NOT_USER_TEXT,
    "live.GiftKind": STAFF_TEXT,
    "live.StreamGift": "the gift's name copied from the catalog (staff text) and the sender's idempotency key",
    "payouts": STAFF_TEXT + "; Stripe's ids",
    "core.FileLink.storage": NOT_USER_TEXT,
    "core.FileLink.storage_key": "a key the code chose (a product's file_key, an export's path), never shown",
    "core.FileLink.content_type": "set by the code (guessed from the file's key, or fixed), sent only as a header",
    "core.FileLink.purpose": NOT_USER_TEXT,
    "core.FileLink.token_hash": NOT_USER_TEXT,
    "core.FileLink.filename": (
        "the download's name (a product's name, covered above, or a dated export name); never in a page, only in "
        "the Content-Disposition header of the file response, which the browser test checks"
    ),
    "privacy.DataExport": "the export's key in private storage and a fixed failure message, both written by the code",
    "shop.CatalogSync.error": "Stripe's error when a sync fails, shown escaped to admins only",
    "shop.Price": PROVIDER,
    "shop.Product.stripe_product_id": PROVIDER,
    "shop.Product.default_price_id": PROVIDER,
    "shop.Product.file_key": "a key in private storage, never shown (checked on use: no '..', no leading '/')",
    "shop.Product.stock_metadata": "digits only (a product whose stock is not a whole number is not for sale)",
    "shop.Order.client_key": "8 to 64 letters, digits and dashes (the checkout refuses anything else)",
    "shop.Order.currency": NOT_USER_TEXT,
    "shop.Order.stripe_checkout_session_id": PROVIDER,
    "shop.Order.stripe_payment_intent_id": PROVIDER,
    "shop.Order.checkout_url": "the URL Stripe gave for the Checkout Session, only redirected to",
    "shop.Order.promotion_code": "the code of a promotion code the operator created in Stripe (a buyer can only "
    "enter an existing one), shown escaped",
    "shop.OrderItem.stripe_price_id": PROVIDER,
    "shop.OrderRefund.reason": STAFF_TEXT + " (shown on the staff order page only)",
    "shop.OrderRefund.stripe_refund_id": PROVIDER,
    "shop.OrderRefund.error": PROVIDER,
}
