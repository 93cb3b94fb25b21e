"""The reading room's polls, for the journeys through it (on-demand and booked readings).

A journey's pages run on Playwright's clock (``page.clock.install()`` before the first page): time flows as usual,
and after a change on the server the journey moves a page's clock to its next poll instead of waiting for it."""

# The room's status block and chat each poll every 2 s (readings/partials/_status.html, readings/room.html);
# room.js reloads the room this long after its status moves it between waiting, live and over.
ROOM_POLL_MS = 2_000
ROOM_RELOAD_MS = 1_200


def chat_sent(page, text: str) -> None:
    """The sender's own chat shows ``text`` (it refreshes as soon as the server took the line), so the other side's
    next chat poll finds it."""
    page.locator("[data-chat-log]").get_by_text(text).wait_for()


def room_reloads_into(page, state: str) -> None:
    """The room's next status poll finds the reading ``state`` (in another phase: waiting, live, over), and room.js
    reloads the room into it."""
    page.clock.fast_forward(ROOM_POLL_MS)
    page.locator(f'[data-room][data-state="{state}"]').wait_for(timeout=15_000)
    page.clock.fast_forward(ROOM_RELOAD_MS)
