"""The live app's ledger check: every ticket and gift is backed by its own ledger transaction, of its kind, for
its price, paid from its buyer's wallet and booked to its stream."""

from django.db import connection


def payments_match_ledger() -> list[dict]:
    sql = """
        SELECT 'ticket' AS what, t.id, t.price_amount, x.kind, x.subject_type, x.subject_id, w.amount AS wallet_amount
          FROM live_streamticket t
          JOIN wallet_transaction x ON x.id = t.transaction_id
          LEFT JOIN wallet_posting w ON w.transaction_id = x.id
               AND w.account_id = (SELECT id FROM wallet_account WHERE code = 'wallet:' || t.user_id)
         WHERE x.kind <> 'ticket' OR x.subject_type <> 'livestream' OR x.subject_id <> t.stream_id
               OR w.amount IS NULL OR w.amount <> -t.price_amount
        UNION ALL
        SELECT 'gift', g.id, g.price_amount, x.kind, x.subject_type, x.subject_id, w.amount
          FROM live_streamgift g
          JOIN wallet_transaction x ON x.id = g.transaction_id
          LEFT JOIN wallet_posting w ON w.transaction_id = x.id
               AND w.account_id = (SELECT id FROM wallet_account WHERE code = 'wallet:' || g.sender_id)
         WHERE x.kind <> 'gift' OR x.subject_type <> 'livestream' OR x.subject_id <> g.stream_id
               OR w.amount IS NULL OR w.amount <> -g.price_amount
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return [
        {"what": what, "id": pk, "price": str(price), "kind": kind, "subject": f"{st}:{sid}", "wallet": str(wallet)}
        for what, pk, price, kind, st, sid, wallet in rows
    ]
