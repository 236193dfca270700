from tests.web.conftest import pages  # noqa: F401  (the HTML pages fixture)
