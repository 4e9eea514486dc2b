"""Times nanoGPT training steps at a given shape (nexttoken train's defaults unless told) and prints tokens/s.

Run (Debian's python3-torch; OpenBLAS first, two threads), with nanoGPT's model.py beside it:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread python3 bench_train.py [--steps 25]
The shape, batch and optimizer follow `bin/nexttoken train`'s defaults: 4 layers, 4 heads,
width 128, context 128, batch 16 (2,048 tokens per step), GPT-2's 50,257-token vocabulary,
AdamW (weight decay on matrices), gradient clipping at 1.0, no dropout, float32, random tokens.
--n-layer, --n-head, --n-embd, --block-size and --batch-size change the shape as train's options do
(the default model's: --n-embd 160 --block-size 256 --batch-size 8).
"""
import argparse
import statistics
import time

import torch

from model import GPT, GPTConfig

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=25)
parser.add_argument("--warmup", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--n-layer", type=int, default=4)
parser.add_argument("--n-head", type=int, default=4)
parser.add_argument("--n-embd", type=int, default=128)
parser.add_argument("--block-size", type=int, default=128)
parser.add_argument("--batch-size", type=int, default=16)
args = parser.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(1337)
print(torch.__version__, "threads", torch.get_num_threads())
blas = [line.strip() for line in torch.__config__.show().splitlines() if "BLAS" in line]
print("config:", "; ".join(blas))
a = torch.randn(1024, 1024)
a @ a
start = time.perf_counter()
for _ in range(10):
    a @ a
seconds = (time.perf_counter() - start) / 10
print(f"1024^2 matmul: {seconds * 1e3:.1f} ms ({2 * 1024 ** 3 / seconds / 1e9:.1f} GFLOP/s)")

batch, block = args.batch_size, args.block_size
config = GPTConfig(block_size=block, vocab_size=50257, n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd,
                   dropout=0.0, bias=True)
model = GPT(config)
optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=1e-3, betas=(0.9, 0.95),
                                       device_type="cpu")
times = []
for step in range(args.warmup + args.steps):
    x = torch.randint(0, config.vocab_size, (batch, block))
    y = torch.randint(0, config.vocab_size, (batch, block))
    start = time.perf_counter()
    _, loss = model(x, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    elapsed = time.perf_counter() - start
    if step >= args.warmup:
        times.append(elapsed)
median = statistics.median(times)
print(f"median step {median * 1e3:.0f} ms over {len(times)} steps: {batch * block / median:.0f} tokens/s")
