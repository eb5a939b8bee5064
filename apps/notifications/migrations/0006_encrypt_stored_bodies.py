"""Encrypt the bodies already in the outbox (0005 made the column hold Fernet tokens).

Raw SQL: the model's field would try to decrypt the plaintext rows it reads. A row whose body
is already a token under the configured keys is left alone, so running it again changes nothing.
"""

from cryptography.fernet import InvalidToken
from django.db import migrations

from apps.notifications.fields import outbox_fernet

BATCH = 2000


def _rows(cursor, after):
    cursor.execute(
        "SELECT id, body FROM notifications_notification WHERE id > %s AND body <> '' "
        "ORDER BY id LIMIT %s",
        [after, BATCH],
    )
    return cursor.fetchall()


def _rewrite(schema_editor, change):
    fernet = outbox_fernet()
    with schema_editor.connection.cursor() as cursor:
        after = 0
        while rows := _rows(cursor, after):
            for pk, body in rows:
                new = change(fernet, body)
                if new is not None:
                    cursor.execute(
                        "UPDATE notifications_notification SET body = %s WHERE id = %s", [new, pk]
                    )
            after = rows[-1][0]


def _is_token(fernet, body):
    try:
        fernet.decrypt(body.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def encrypt(apps, schema_editor):
    _rewrite(
        schema_editor,
        lambda fernet, body: None
        if _is_token(fernet, body)
        else fernet.encrypt(body.encode()).decode("ascii"),
    )


def decrypt(apps, schema_editor):
    _rewrite(
        schema_editor,
        lambda fernet, body: fernet.decrypt(body.encode("ascii")).decode()
        if _is_token(fernet, body)
        else None,
    )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_encrypted_bodies")]

    operations = [migrations.RunPython(encrypt, decrypt, elidable=False)]
