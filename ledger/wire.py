"""What a service hands to the API when a model alone is not the answer: the model with a few values added."""

from __future__ import annotations


class Extended:
    """`base` read by attribute, with `added` values on top (a party with its bank accounts, an account with its
    balance): what a `contracts/` schema serialises by attribute name, as it would the model itself."""

    def __init__(self, base: object, **added: object):
        self._base = base
        self.__dict__.update(added)

    def __getattr__(self, name: str):
        return getattr(self._base, name)
