"""Aan Huis web API, web pages and the ``aanhuis`` command line."""
