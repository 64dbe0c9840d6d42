#!/usr/bin/env python3
"""Independent reference for curate's CLIPPO model: timm's VisionTransformer in PyTorch.

Input: a curate checkpoint with a fixed batch beside its parameters (written by
`curate-bench --write-reference-model FILE --pooling map|gap`: a tiny model of odd sizes and
`input.pixels`, 2 x pairs images laid out (2P, 3, S, S), pairs' first sides then second sides).

This script builds timm's VisionTransformer from the checkpoint's config (class_token=False,
fc_norm=False, global_pool 'map' or 'avg', LayerNorm eps 1e-6, exact GELU: timm's defaults),
loads the tower's tensors with load_state_dict(strict=True) (so every curate name and layout is
timm's), adds `logit_scale`, and computes, in float32:
  expected.embeddings   the L2-normalised embeddings of the batch (2P, e)
  expected.loss         the symmetric contrastive loss (mean of image->text and text->image CE)
  expected.grad.NAME    the gradient of the loss for every parameter
  expected.losses       the loss before each of 4 steps of clip_grad_norm_(1.0) + AdamW (lr 1e-2,
                        weight decay 1e-4 on tensors of rank >= 2, as curate's table decides)
and the same three first ones under torch.autocast("cpu", dtype=torch.bfloat16), PyTorch's mixed
precision on the CPU (the linear layers' and attention's products in bf16, float32 parameters):
  expected.bf16.embeddings, expected.bf16.loss, expected.bf16.grad.NAME
It writes everything (the checkpoint's tensors and metadata too) to the output file, which
TrainTests/ReferenceModelTests compares curate against. Nothing of curate is imported.

    python3 -m venv /tmp/torch-venv && /tmp/torch-venv/bin/pip install torch timm safetensors
    .build/release/curate-bench --write-reference-model /tmp/ref-map.safetensors --pooling map
    /tmp/torch-venv/bin/python3 Tests/Golden/clippo_reference.py /tmp/ref-map.safetensors Tests/Golden/clippo/reference-map.safetensors
(and the same with gap). timm 1.0.31 and torch 2.15.0 wrote the committed files (2026-12-02;
with the bf16 autocast values added; the fp32 values are the earlier ones to a few ulps).
"""
import json
import sys

import timm
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file
from timm.models.vision_transformer import VisionTransformer

source, target = sys.argv[1], sys.argv[2]
with safe_open(source, "pt") as f:
    metadata = f.metadata()
    tensors = {name: f.get_tensor(name) for name in f.keys()}
config = json.loads(metadata["curate.config"])
torch.manual_seed(0)

tower = VisionTransformer(
    img_size=config["imageSize"], patch_size=config["patch"], in_chans=3, num_classes=config["embedding"],
    global_pool={"map": "map", "gap": "avg"}[config["pooling"]], class_token=False, fc_norm=False,
    embed_dim=config["width"], depth=config["depth"], num_heads=config["heads"], mlp_ratio=config["mlpRatio"],
    qkv_bias=True)
tower_state = {k: v for k, v in tensors.items() if k != "logit_scale" and not k.startswith(("input.", "expected."))}
tower.load_state_dict(tower_state, strict=True)
logit_scale = torch.nn.Parameter(tensors["logit_scale"].clone())
pixels = tensors["input.pixels"]
pairs = pixels.shape[0] // 2


def embeddings():
    return F.normalize(tower(pixels), dim=-1)


def loss_of(z):
    zi, zt = z[:pairs], z[pairs:]
    logits = logit_scale.exp() * zi @ zt.t()
    labels = torch.arange(pairs)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2


out = dict(tensors)
z = embeddings()
loss = loss_of(z)
loss.backward()
out["expected.embeddings"] = z.detach().contiguous()
out["expected.loss"] = loss.detach().reshape(1)
for name, p in tower.named_parameters():
    out["expected.grad." + name] = p.grad.detach().clone().contiguous()
out["expected.grad.logit_scale"] = logit_scale.grad.detach().clone().reshape(logit_scale.shape)

# The same under bf16 autocast (fresh gradients; the parameters are untouched).
for _, p in tower.named_parameters():
    p.grad = None
logit_scale.grad = None
with torch.autocast("cpu", dtype=torch.bfloat16):
    z16 = embeddings()
    loss16 = loss_of(z16.float())
loss16.backward()
out["expected.bf16.embeddings"] = z16.detach().float().contiguous()
out["expected.bf16.loss"] = loss16.detach().float().reshape(1)
for name, p in tower.named_parameters():
    out["expected.bf16.grad." + name] = p.grad.detach().float().clone().contiguous()
out["expected.bf16.grad.logit_scale"] = logit_scale.grad.detach().clone().reshape(logit_scale.shape)

# A short trace: 4 losses around 3 optimizer steps (the first is the loss above).
params = list(tower.named_parameters()) + [("logit_scale", logit_scale)]
decay = [p for n, p in params if p.dim() >= 2]
no_decay = [p for n, p in params if p.dim() < 2]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-4}, {"params": no_decay, "weight_decay": 0.0}],
                              lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
losses = []
for step in range(4):
    optimizer.zero_grad(set_to_none=True)
    loss = loss_of(embeddings())
    losses.append(loss.item())
    if step == 3:
        break
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for _, p in params], 1.0)
    optimizer.step()
out["expected.losses"] = torch.tensor(losses, dtype=torch.float32)

metadata = dict(metadata)
metadata["reference"] = f"timm {timm.__version__}, torch {torch.__version__}"
save_file({k: v.contiguous() for k, v in out.items()}, target, metadata=metadata)
print(f"{target}: loss {out['expected.loss'].item():.6f}, trace {[round(x, 6) for x in losses]}")
