"""A KV cache for sampling that is written in place instead of concatenated at every decode step.

transformers' `DynamicLayer.update` appends each new token's keys and values with `torch.cat`, which copies the
whole cache every step: at the code demo's 128 rows and ~90 positions that is about 2.6 MB per layer per step
(a bare `generate` of the code demo's model is 1.27x faster without it, wall clock, docs/performance.md). A
`ReservedLayer` holds a buffer with room for the rest of the generation (`reserve` positions beyond those it first
holds, doubling if that is exceeded) and copies only the new positions in; `keys`/`values` are views of the filled
part, so attention reads exactly the numbers a concatenated cache would hold.

Only the plain `DynamicLayer`s of a `DynamicCache` are replaced (`reserve_cache`); sliding-window, quantized or
offloaded layers keep transformers' behaviour. Every operation that rebuilds the tensors (beam reorder, crop,
batch select/repeat) goes through transformers' own code and the layer re-adopts the result as its buffer.
"""

from __future__ import annotations

from transformers.cache_utils import DynamicLayer

__all__ = ["ReservedLayer", "reserve_cache"]


class ReservedLayer(DynamicLayer):
    """A `DynamicLayer` whose keys and values live in a buffer with `reserve` free positions (see the module)."""

    def __init__(self, reserve: int, **kwargs):
        super().__init__(**kwargs)
        self.reserve = max(1, int(reserve))
        self._k = self._v = None  # [batch, heads, capacity, head_dim]; keys/values are views of their first positions

    @classmethod
    def adopt(cls, layer: DynamicLayer, reserve: int) -> ReservedLayer:
        """A reserved layer holding `layer`'s state (its tensors move into a buffer at the next update)."""
        new = cls(reserve)
        new.__dict__.update({k: v for k, v in vars(layer).items() if k not in ("reserve", "_k", "_v")})
        return new

    def _holds(self, key_states) -> bool:
        """Whether `keys`/`values` are still the views this layer made, with room for `key_states`."""
        return (self._k is not None and self.keys is not None and self.keys.data_ptr() == self._k.data_ptr()
                and self.keys.shape[:-2] == key_states.shape[:-2] == self._k.shape[:-2]
                and self.keys.shape[-2] + key_states.shape[-2] <= self._k.shape[-2])

    def _rebuffer(self, key_states, value_states) -> None:
        """New buffers with room for the cached positions, `key_states` and `reserve` more; the reserve doubles
        for the next time, so a generation longer than announced costs log(n) copies, not n."""
        filled = self.keys.shape[-2] if self.keys is not None and self.keys.numel() else 0
        capacity = filled + key_states.shape[-2] + self.reserve
        self._k = key_states.new_empty((*key_states.shape[:-2], capacity, key_states.shape[-1]))
        self._v = value_states.new_empty((*value_states.shape[:-2], capacity, value_states.shape[-1]))
        if filled:
            self._k[..., :filled, :].copy_(self.keys)
            self._v[..., :filled, :].copy_(self.values)
        self.keys, self.values = self._k[..., :filled, :], self._v[..., :filled, :]
        self.reserve *= 2

    def update(self, key_states, value_states, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        if not self._holds(key_states):  # first update, tensors rebuilt by transformers' code, or full
            self._rebuffer(key_states, value_states)
        start = self.keys.shape[-2]
        end = start + key_states.shape[-2]
        self._k[..., start:end, :].copy_(key_states)
        self._v[..., start:end, :].copy_(value_states)
        self.keys, self.values = self._k[..., :end, :], self._v[..., :end, :]
        return self.keys, self.values


def reserve_cache(cache, reserve: int):
    """`cache` (a transformers `DynamicCache`) with each plain `DynamicLayer` made a `ReservedLayer` holding
    `reserve` more positions; returned for chaining. Other layer types are left as they are."""
    layers = getattr(cache, "layers", None)
    if layers is None:
        return cache
    for i, layer in enumerate(layers):
        if type(layer) is DynamicLayer:
            layers[i] = ReservedLayer.adopt(layer, reserve)
    return cache
