"""The editors' review web app (issue 7): ``podpipe review`` serves it on 127.0.0.1 by default."""

from podpipe.review.app import ReviewConfig, ReviewConfigError, check_bind, create_app, is_loopback, serve

__all__ = ["ReviewConfig", "ReviewConfigError", "check_bind", "create_app", "is_loopback", "serve"]
