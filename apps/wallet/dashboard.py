"""Dashboard sections of the wallet app."""

from apps.dashboards.sections import Section, dashboard_section_register

dashboard_section_register(
    role="client",
    order=40,
    section=Section("wallet", "Wallet", panel_url_name="wallet:dashboard_panel", fallback_url_name="wallet:home"),
)
dashboard_section_register(
    role="reader",
    order=27,
    section=Section(
        "earnings",
        "Earnings by source",
        panel_url_name="wallet:earnings_panel",
        fallback_url_name="readings:history",
    ),
)
dashboard_section_register(
    role="admin",
    order=30,
    section=Section(
        "ledger",
        "Ledger check",
        panel_url_name="staff_wallet:ledger_check_panel",
        fallback_url_name="staff_wallet:index",
    ),
)
dashboard_section_register(
    role="admin",
    order=40,
    section=Section(
        "card-payments",
        "Card payments",
        panel_url_name="staff_wallet:stripe_panel",
        fallback_url_name="staff_wallet:refunds",
    ),
)
