"""Writes a pickle like StyleGAN2-ADA's network snapshots ({'G': ..., 'G_ema': ...}) of the
tiny generator in tests/python/tiny_stylegan, with seeded weights, a non-zero w_avg and
non-zero noise strengths (so truncation and noise matter), for the exporter test.

usage: python3 make_tiny_pickle.py OUT.pkl [--resolution 16] [--z-dim 8]
"""
import argparse
import os
import pickle
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tiny_stylegan'))

import torch  # noqa: E402
from training.networks import Generator  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('out')
    parser.add_argument('--resolution', type=int, default=16)
    parser.add_argument('--z-dim', type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(1234)
    G = Generator(z_dim=args.z_dim, w_dim=8, img_resolution=args.resolution, img_channels=3)
    with torch.no_grad():
        G.mapping.w_avg.copy_(torch.randn([8]) * 0.5)
        for name, module in G.named_modules():
            if hasattr(module, 'noise_strength'):
                module.noise_strength.fill_(0.3)
    G.eval()
    with open(args.out, 'wb') as f:
        pickle.dump({'G': G, 'G_ema': G, 'training_set_kwargs': {'resolution': args.resolution}}, f)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
