"""Callables of the hello_world pipeline."""


def print_world() -> str:
    print("world")
    return "world"
