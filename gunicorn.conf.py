"""gunicorn's settings for every way Porch is served here (gunicorn reads this file from the working directory)."""

# gunicorn 27's control socket has one path per user: two servers on one machine (make run-scaled, the tests) share
# it, and stopping one of them can hang on it. Porch doesn't use it.
control_socket_disable = True
