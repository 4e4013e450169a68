"""The tiny local base model: its character tokenizer and the cached pretraining run (`rlvr pretrain`).

Import the submodules directly (this package re-exports nothing).
"""
