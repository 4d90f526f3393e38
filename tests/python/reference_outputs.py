"""Runs a generator pickle in PyTorch for given latents and prints its outputs as JSON, so the
exporter test can compare onnxruntime's results with the original network's.

usage: python3 reference_outputs.py PICKLE SOURCE_DIR LATENTS.json PSI
LATENTS.json: [[z_0...], [z_1...], ...]. Prints {"rgb": [...], "nir": [...], "features": {name: [...]}}
with every array flattened NCHW. Noise: noise_mode='const' (what the default export bakes in).
"""
import json
import pickle
import sys

sys.path.insert(0, sys.argv[2])

import torch  # noqa: E402


def main():
    with open(sys.argv[1], 'rb') as f:
        G = pickle.load(f)['G_ema'].eval().float()
    with open(sys.argv[3]) as f:
        z = torch.tensor(json.load(f), dtype=torch.float32)
    psi = float(sys.argv[4])
    features = {}

    def tap(name):
        def hook(_m, _i, out):
            if isinstance(out, tuple):
                if name.endswith('conv1') and not hasattr(getattr(G.synthesis, name.split('.')[0]), 'conv0'):
                    features[name + '.x0'] = out[1]
                out = out[0]
            features[name] = out
        return hook

    for name, module in G.synthesis.named_modules():
        if name.endswith('.conv0') or name.endswith('.conv1'):
            module.register_forward_hook(tap(name))
    with torch.no_grad():
        img, seg = G(z, None, truncation_psi=psi, noise_mode='const', fused_modconv=False)
    print(json.dumps({'rgb': img.flatten().tolist(), 'nir': seg.flatten().tolist(), 'features': {k: v.flatten().tolist() for k, v in features.items()}}))


if __name__ == '__main__':
    main()
