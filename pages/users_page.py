"""Users: accounts and roles on a shared instance (admins only)."""

import streamlit as st

from tracker import auth, ui
from tracker.i18n import _
from tracker.vocab import Role

st.title(_("Users"))
ui.require_role(Role.ADMIN, _("Managing accounts"))
ui.flash()

ROLES = [r.value for r in Role]


def role_option(role: str) -> str:
    return f"{auth.role_label(role)} — {_(auth.ROLE_DESCRIPTIONS[Role(role)])}"


def attempt(fn, *args, success: str) -> bool:  # type: ignore[no-untyped-def]
    """Run an account change; show the reason when it is refused."""
    try:
        ui.write(fn, *args)
    except (auth.AccountError, auth.PermissionDenied) as exc:
        st.error(ui.md_escape(str(exc)), icon=":material/error:")
        return False
    ui.flash(success)
    st.rerun()
    return True


def password_twice(label: str, key: str) -> tuple[str, str]:
    """A new password and the same again (keys ``key`` and ``key + "2"``)."""
    first = st.text_input(label, type="password", key=key, autocomplete="new-password")
    again = st.text_input(
        _("Password again"), type="password", key=key + "2", autocomplete="new-password"
    )
    return first, again


def same_twice(first: str, again: str) -> bool:
    """True when both entries are the same password; else says so."""
    if first != again:
        st.error(_("password: the two entries differ"), icon=":material/error:")
        return False
    return True


users = ui.query(auth.users_frame)
names = users["username"].tolist()
local = not names
if local:
    st.info(
        _(
            "No accounts yet: the app runs in **local single-user mode**. Add the first account "
            "(an admin) below; from then on everyone must log in, and you too."
        ),
        icon=":material/info:",
    )

add, role_tab, password_tab, remove_tab = st.tabs(
    [_("Add an account"), _("Change a role"), _("Set a password"), _("Remove an account")]
)

with add, st.form("user_add", clear_on_submit=True):
    name = st.text_input(_("Username"), key="ua_name", help=_("letters, digits and . _ @ + -"))
    role = st.selectbox(
        _("Role"),
        ROLES,
        index=ROLES.index(Role.ADMIN if local else Role.EDITOR),
        format_func=role_option,
        key="ua_role",
    )
    pw, pw2 = password_twice(_("Password"), "ua_pw")
    added = st.form_submit_button(
        _("Add the account"), type="primary", icon=":material/person_add:"
    )
    if added and same_twice(pw, pw2):
        attempt(
            auth.create_user,
            name,
            pw,
            role,
            success=_("Added {user}.").format(user=auth.normalise_username(name)),
        )

if names:
    with role_tab, st.form("user_role"):
        who = st.selectbox(_("Account"), names, key="ur_name")
        new_role = st.selectbox(_("New role"), ROLES, format_func=role_option, key="ur_role")
        if st.form_submit_button(_("Change the role"), icon=":material/badge:"):
            attempt(
                auth.set_role,
                who,
                new_role,
                success=_("{user} is now {role}.").format(user=who, role=auth.role_label(new_role)),
            )

    with password_tab, st.form("user_password", clear_on_submit=True):
        who = st.selectbox(_("Account"), names, key="up_name")
        pw, pw2 = password_twice(_("New password"), "up_pw")
        st.caption(_("Setting a password also unlocks an account locked after failed logins."))
        set_it = st.form_submit_button(_("Set the password"), icon=":material/key:")
        if set_it and same_twice(pw, pw2):
            attempt(
                auth.set_password,
                who,
                pw,
                success=_("Password changed for {user}.").format(user=who),
            )

    with remove_tab, st.form("user_remove"):
        who = st.selectbox(_("Account"), names, key="ux_name")
        sure = st.checkbox(_("Yes, remove this account"), key="ux_sure")
        if st.form_submit_button(_("Remove"), icon=":material/person_remove:"):
            if not sure:
                st.error(_("Tick the box to confirm."), icon=":material/error:")
            else:
                attempt(auth.remove_user, who, success=_("Removed {user}.").format(user=who))

st.subheader(_("Accounts"))
if users.empty:
    st.caption(_("None yet."))
else:
    st.dataframe(
        users,
        column_order=["username", "role_name", "created_at", "locked_until"],
        column_config={
            "username": st.column_config.TextColumn(_("Username")),
            "role_name": st.column_config.TextColumn(_("Role")),
            "created_at": st.column_config.DatetimeColumn(
                _("Created (UTC)"), format="YYYY-MM-DD HH:mm"
            ),
            "locked_until": st.column_config.DatetimeColumn(
                _("Locked until (UTC)"),
                format="YYYY-MM-DD HH:mm",
                help=_("After {n} failed logins in a row; setting a password unlocks").format(
                    n=auth.MAX_FAILED_LOGINS
                ),
            ),
        },
        hide_index=True,
        key="users_table",
    )
