"""The application layer: what each ``casecheck`` command does, as plain functions, so that
``cli.py`` only parses options, calls one of these and prints.

It may import every room; no room imports it, and it never imports the CLI.
"""
