"""The dashboards' own sections: account, security, reader applications and the admin tools."""

from .sections import Section, dashboard_section_register

dashboard_section_register(
    role="client", order=10, section=Section("account", "Your account", template="dashboards/sections/_account.html")
)
dashboard_section_register(
    role="client",
    order=20,
    section=Section(
        "become-reader",
        "Read on SoulSeer",
        template="dashboards/sections/_reader_application.html",
        context="apps.dashboards.contexts.reader_application",
    ),
)
dashboard_section_register(
    role="reader",
    order=40,
    section=Section(
        "security",
        "Account security",
        template="dashboards/sections/_security.html",
        context="apps.dashboards.contexts.security",
    ),
)
dashboard_section_register(
    role="reader", order=50, section=Section("account", "Your account", template="dashboards/sections/_account.html")
)
dashboard_section_register(
    role="admin",
    order=10,
    section=Section(
        "reader-applications",
        "Reader applications",
        template="dashboards/sections/_admin_applications.html",
        context="apps.dashboards.contexts.admin_applications",
    ),
)
dashboard_section_register(
    role="admin",
    order=90,
    section=Section("admin-tools", "Administration", template="dashboards/sections/_admin_tools.html"),
)
