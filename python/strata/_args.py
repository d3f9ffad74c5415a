"""Argument helpers shared by the embedded Store and the RemoteStore."""

from typing import Iterable, List, Union


def refs(features: Union[str, Iterable[str]]) -> List[str]:
    """Feature refs given as "a:b, c:*" or as a list."""
    return [f.strip() for f in features.split(",")] if isinstance(features, str) else list(features)
