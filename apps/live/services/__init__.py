"""Write services of livestreams: ``streams`` (life cycle, invites, viewers), ``payments`` (tickets and gifts),
``chat`` and ``catalog`` (the gift catalog, for admins)."""
