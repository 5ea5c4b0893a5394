"""Root conftest: scenario files are collected as tests (hook added by the scenarios package)."""
