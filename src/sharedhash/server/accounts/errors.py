"""Errors of signing in and managing people (under the branches of :mod:`sharedhash.errors`)."""

from __future__ import annotations

from sharedhash.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)


class SignInFailedError(AuthenticationError):
    """The login, password or second-factor code is wrong (which one is not said)."""

    code = "sign_in_failed"
    default_hint = "Check the login and password (and the 6-digit code of your authenticator app, if you use one)."


class AccountLockedError(RateLimitedError):
    """Too many failed sign-ins in a row: the person is locked out for a while."""

    code = "account_locked"
    default_hint = "Wait and try again later, or ask an admin of your org to reset your password."


class SignInThrottledError(RateLimitedError):
    """Too many failed sign-ins from one address."""

    code = "sign_in_throttled"
    default_hint = "Wait a few minutes before trying again."


class SessionRequiredError(AuthenticationError):
    """No signed-in session (or it expired)."""

    code = "session_required"
    default_hint = "Sign in at /ui/sign-in."


class CsrfFailedError(PermissionDeniedError):
    """A form or request without this session's CSRF token (a forged or stale form)."""

    code = "csrf_failed"
    default_hint = "Reload the page and submit the form again."


class WeakPasswordError(InvalidInputError):
    """A password too short (or too long)."""

    code = "weak_password"
    default_hint = "Use at least 12 characters; a passphrase of several words is easy to remember."


class InvalidLoginError(InvalidInputError):
    """A login that is empty, too long or has spaces or control characters."""

    code = "invalid_login"
    default_hint = "Use an e-mail address or a handle without spaces, at most 200 characters."


class InvalidRoleError(InvalidInputError):
    """A role other than moderator, lead, admin."""

    code = "invalid_role"
    default_hint = "Roles: moderator, lead, admin."


class LoginTakenError(ConflictError):
    """Another person signs in with this login."""

    code = "login_taken"
    default_hint = "Choose another login; logins are unique on the hub."


class InvalidInviteError(NotFoundError):
    """An invitation or reset link that is unknown, used or expired."""

    code = "invalid_invite"
    default_hint = "Ask an admin of your org for a new invitation."


class LastAdminError(ConflictError):
    """The change would leave the org without an enabled admin."""

    code = "last_admin"
    default_hint = "Make another person admin first."


class InvalidTotpError(InvalidInputError):
    """A second-factor code that does not match the new secret."""

    code = "invalid_totp"
    default_hint = "Enter the current 6-digit code your authenticator app shows for this account."
