from django import template
from django.utils.safestring import SafeString

from apps.messaging.text import message_html

register = template.Library()


@register.filter(name="message_html")
def message_html_filter(text: str) -> SafeString:
    return message_html(text)
