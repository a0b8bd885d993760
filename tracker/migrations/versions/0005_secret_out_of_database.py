"""the login-cookie signing secret leaves the database (issue #13, point 3)

Until now the secret that signs remembered logins was generated into the ``meta`` table
(key ``session_secret``), so every backup — and the automatic one before each import —
carried it next to the password hashes: anyone holding a backup could forge a login. The
secret now comes from ``UPR_TRACKER_SECRET_KEY`` or a key file (mode 0600) kept beside the
database (see ``tracker.settings.secret_key_file``); this migration deletes the stored one.
Browsers logged in with a cookie signed by it log in once more.

The downgrade cannot bring the secret back (it is gone on purpose); the older version then
generates a new one on the next login.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM meta WHERE key = 'session_secret'")


def downgrade() -> None:
    pass  # nothing to restore: see the module docstring
