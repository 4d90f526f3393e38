#!/usr/bin/env python3
"""Export a StyleGAN2-ADA / BiFaceGAN generator pickle to a Twinlight generator:
generator.onnx + generator.json (the manifest of src/shared/generator.ts).

Run it in your own PyTorch environment, with the generator's source tree (the folder that holds
training/, torch_utils/, dnnlib/ and usually legacy.py) on the path:

    python3 tools/export_stylegan2_onnx.py --source ~/src/BiFaceGAN/training_scripts_DB_SG2 \\
        --pkl network-snapshot.pkl --out exported/ --head torgb=rgb --head toseg=nir

then attach exported/generator.onnx + exported/generator.json in the studio's Models view.

What the exported graph does
  inputs   z     float32 [N, z_dim]     the latent (the studio draws it from the sample's seed)
           psi   float32 []             truncation: w = w_avg + psi * (w - w_avg), every layer
           noise.b{res}.conv{0,1}  float32 [N, 1, res, res]   only with --noise explicit
  outputs  one image per --head, float32 [N, C, R, R] in [-1, 1] (named by the modality id)
           the feature maps the style interpreter reads, float32 [N, C, r, r]:
           b{res}.conv0 and b{res}.conv1 for every synthesis block; a block without conv0 whose
           conv1 returns (x, x0) (BiFaceGAN's b4) adds b{res}.conv1.x0 - BiFaceGAN 256² then
           has 14 feature maps with 4992 channels in total, in the order its interpreter uses.

Noise: '--noise const' (default) uses each layer's fixed noise_const buffer (noise_mode='const'),
so the graph is deterministic and the manifest says noise kind 'none'. '--noise explicit' turns
every layer's noise into a graph input that the studio fills with seeded standard-normal noise
(as noise_mode='random' would draw, but reproducibly). The graph never draws random numbers.

Heads: --head NAME=MODALITY (repeatable; default torgb=rgb) maps the i-th full-resolution image
the synthesis network returns to the i-th head; NAME must be a module of the last synthesis
block (torgb, or BiFaceGAN's NIR head toseg). Channels must be 1 or 3.

Only torch is needed (no onnx, no onnxruntime). Tested with torch 1.13 and opset 17.
"""
import argparse
import inspect
import json
import os
import pickle
import re
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--pkl', required=True, help='network pickle (a StyleGAN2-ADA snapshot or a dict holding G_ema/G)')
    p.add_argument('--out', required=True, help='output folder for generator.onnx and generator.json')
    p.add_argument('--source', action='append', default=[], help="generator source tree to put on sys.path (repeatable)")
    p.add_argument('--network', default='G_ema', help='key in the pickle: G_ema (default, falls back to G) or G')
    p.add_argument('--name', default=None, help='generator name shown in the studio (default: the pickle file name)')
    p.add_argument('--head', action='append', default=[], help='NAME=MODALITY, e.g. torgb=rgb (default) or toseg=nir; repeatable')
    p.add_argument('--range', default='-1,1', help='value range of the image outputs (default -1,1)')
    p.add_argument('--noise', choices=['const', 'explicit'], default='const', help='fixed noise buffers (default) or seeded noise inputs')
    p.add_argument('--features', default='all', help="'all' (default), 'none', or a comma list like b8.conv0,b16.conv1")
    p.add_argument('--truncation-default', type=float, default=0.7, help='default psi the studio proposes (default 0.7)')
    p.add_argument('--class-index', type=int, default=None, help='for conditional generators (c_dim > 0): bake this one-hot class in')
    p.add_argument('--opset', type=int, default=17)
    p.add_argument('--batch', type=int, default=2, help='batch size of the dummy input used for tracing (the graph keeps N dynamic)')
    return p.parse_args(argv)


def fail(message):
    print(f'export_stylegan2_onnx: error: {message}', file=sys.stderr)
    sys.exit(2)


def load_generator(path, key):
    """G_ema (or G) from the pickle, through legacy.load_network_pkl when the source tree has it."""
    try:
        import legacy  # StyleGAN2-ADA's loader (handles persistence-pickled classes and old TF pickles)
        with open(path, 'rb') as f:
            data = legacy.load_network_pkl(f)
        how = 'legacy.load_network_pkl'
    except ImportError:
        with open(path, 'rb') as f:
            data = pickle.load(f)
        how = 'pickle.load'
    if isinstance(data, dict):
        for candidate in [key, 'G_ema', 'G']:
            if candidate in data:
                print(f'loaded {candidate} from {path} with {how}')
                return data[candidate], candidate
        fail(f"the pickle holds {sorted(data)}; none of them is {key}, G_ema or G")
    print(f'loaded a {type(data).__name__} from {path} with {how}')
    return data, type(data).__name__


def supported_kwargs(fn, wanted):
    """The entries of `wanted` that fn (or something it forwards **kwargs to) accepts."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return dict(wanted)
    if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(wanted)
    return {k: v for k, v in wanted.items() if k in params}


def main(argv=None):
    args = parse_args(argv)
    for folder in args.source:
        sys.path.insert(0, os.path.abspath(folder))
    try:
        import torch
    except ImportError:
        fail('PyTorch is not installed in this Python (Debian: apt-get install python3-torch; else pip install torch)')

    G, network = load_generator(args.pkl, args.network)
    G = G.eval().requires_grad_(False).float().cpu()
    for attr in ['z_dim', 'c_dim', 'img_resolution', 'img_channels', 'mapping', 'synthesis']:
        if not hasattr(G, attr):
            fail(f'the network has no "{attr}": this does not look like a StyleGAN2-ADA / BiFaceGAN generator')
    z_dim, c_dim, resolution = int(G.z_dim), int(G.c_dim), int(G.img_resolution)
    lo, hi = (float(v) for v in args.range.split(','))
    heads = [h.split('=', 1) for h in (args.head or ['torgb=rgb'])]
    if any(len(h) != 2 or not h[0] or not re.fullmatch(r'[a-z][a-z0-9_-]*', h[1]) for h in heads):
        fail('--head takes NAME=MODALITY with a lower-case modality id, e.g. torgb=rgb')

    modules = dict(G.named_modules())
    last = f'synthesis.b{resolution}'
    for name, _ in heads:
        if f'{last}.{name}' not in modules:
            options = sorted(n.rsplit('.', 1)[1] for n in modules if n.startswith(last + '.') and n.count('.') == 2)
            fail(f'the last synthesis block has no "{name}" head (it has: {", ".join(options)})')
    extra_heads = [n.rsplit('.', 1)[1] for n in modules if re.fullmatch(re.escape(last) + r'\.to\w+', n) and n.rsplit('.', 1)[1] not in [h for h, _ in heads]]

    # ---- feature taps: synthesis.b{res}.conv0 / conv1 forward hooks
    blocks = sorted((int(m.group(1)), n) for n in modules for m in [re.fullmatch(r'synthesis\.b(\d+)', n)] if m)
    captured = []

    def tap(name):
        def hook(_module, _inputs, output):
            if isinstance(output, (tuple, list)):
                tensors = [t for t in output if torch.is_tensor(t)]
                captured.append((name, tensors[0]))
                # BiFaceGAN's first block (no conv0): its conv1 also hands out x0, which the interpreter reads first.
                if len(tensors) > 1 and name.endswith('.conv1') and f'{name[:-6]}.conv0' not in tap_names:
                    captured.insert(len(captured) - 1, (name + '.x0', tensors[1]))
            else:
                captured.append((name, output))
        return hook

    tap_names = set()
    hooks = []
    for res, block_name in blocks:
        for conv in ['conv0', 'conv1']:
            full = f'{block_name}.{conv}'
            if full in modules:
                tap_names.add(f'b{res}.{conv}')
                hooks.append(modules[full].register_forward_hook(tap(f'b{res}.{conv}')))

    # ---- noise: either the const buffers, or one graph input per noise layer
    noise_layers = []
    if args.noise == 'explicit':
        for name, module in modules.items():
            if 'noise_const' in getattr(module, '_buffers', {}) and name.startswith('synthesis.'):
                noise_layers.append((name[len('synthesis.'):], module, module._buffers['noise_const']))
        if not noise_layers:
            fail('--noise explicit: no synthesis layer has a noise_const buffer')

    class_vector = None
    if c_dim > 0:
        if args.class_index is None or not 0 <= args.class_index < c_dim:
            fail(f'the generator is conditional (c_dim = {c_dim}): choose a class with --class-index 0..{c_dim - 1}')
        class_vector = torch.zeros([1, c_dim])
        class_vector[0, args.class_index] = 1

    has_truncation = hasattr(G.mapping, 'w_avg')
    first_block = getattr(G.synthesis, f'b{blocks[0][0]}') if blocks else None
    block_kwargs = supported_kwargs(first_block.forward, {'force_fp32': True, 'fused_modconv': False}) if first_block is not None else {}
    synthesis_kwargs = {'noise_mode': 'const', **block_kwargs}

    class Exportable(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.G = G

        def forward(self, z, psi, *noise):
            captured.clear()
            for (_, module, _), value in zip(noise_layers, noise):
                module.noise_const = value  # [N, 1, res, res] broadcasts like the [res, res] buffer
            c = class_vector.expand(z.shape[0], -1) if class_vector is not None else None
            ws = self.G.mapping(z, c, truncation_psi=1)
            if has_truncation:
                w_avg = self.G.mapping.w_avg
                ws = w_avg + psi * (ws - w_avg)
            out = self.G.synthesis(ws, **synthesis_kwargs)
            flat = out if isinstance(out, (tuple, list)) else [out]
            images = [t for t in flat if torch.is_tensor(t) and t.dim() == 4 and t.shape[-1] == resolution]
            return tuple(images[: len(heads)]) + tuple(t for _, t in captured)

    model = Exportable().eval()
    n = max(1, args.batch)
    torch.manual_seed(0)
    dummy = [torch.randn([n, z_dim]), torch.tensor(args.truncation_default, dtype=torch.float32)]
    dummy += [torch.randn([n, 1, buf.shape[-2], buf.shape[-1]]) for _, _, buf in noise_layers]
    with torch.no_grad():
        outputs = model(*dummy)
    images = outputs[: len(heads)]
    if len(images) < len(heads):
        fail(f'the synthesis network returns {len(images)} full-resolution image(s), {len(heads)} --head given')
    feature_list = list(captured)
    wanted = None if args.features == 'all' else [] if args.features == 'none' else [f.strip() for f in args.features.split(',') if f.strip()]
    if wanted is not None:
        unknown = [f for f in wanted if f not in [name for name, _ in feature_list]]
        if unknown:
            fail(f'unknown feature(s) {", ".join(unknown)}; the generator has {", ".join(name for name, _ in feature_list)}')
    keep = [i for i, (name, _) in enumerate(feature_list) if wanted is None or name in wanted]

    modalities = []
    for (head, modality), image in zip(heads, images):
        channels = int(image.shape[1])
        if channels not in (1, 3):
            fail(f'head "{head}" gives {channels} channels; a modality has 1 or 3')
        modalities.append({'id': modality, 'output': modality, 'channels': channels, 'range': [lo, hi], 'resolution': resolution})
    features = []
    for i in keep:
        name, tensor = feature_list[i]
        if tensor.dim() != 4 or tensor.shape[-1] != tensor.shape[-2]:
            fail(f'feature {name} has shape {list(tensor.shape)}, not [N, C, r, r]')
        features.append({'name': name, 'channels': int(tensor.shape[1]), 'resolution': int(tensor.shape[-1])})
    if len({m['id'] for m in modalities} | {f['name'] for f in features}) != len(modalities) + len(features):
        fail('a modality id equals a feature name; rename the modality')

    class Selected(torch.nn.Module):
        """The exported graph: the images, then the chosen features."""

        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, *inputs):
            out = self.inner(*inputs)
            return tuple(out[: len(heads)]) + tuple(out[len(heads) + i] for i in keep)

    noise_names = [f'noise.{name}' for name, _, _ in noise_layers]
    input_names = ['z', 'psi'] + noise_names
    output_names = [m['output'] for m in modalities] + [f['name'] for f in features]
    dynamic_axes = {name: {0: 'N'} for name in ['z'] + noise_names + output_names}
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, 'generator.onnx')
    with torch.no_grad():
        torch.onnx.export(
            Selected().eval(),
            tuple(dummy),
            onnx_path,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=args.opset,
            do_constant_folding=True,
        )
    for h in hooks:
        h.remove()
    for _, module, buffer in noise_layers:
        module.noise_const = buffer

    manifest = {
        'format': 'twinlight-generator',
        'version': 1,
        'name': args.name or os.path.splitext(os.path.basename(args.pkl))[0],
        'description': f'{network} of {os.path.basename(args.pkl)}, exported by tools/export_stylegan2_onnx.py (noise {args.noise}, opset {args.opset})',
        'latent': {'input': 'z', 'size': z_dim, 'prior': 'normal'},
        'noise': {'kind': 'explicit', 'inputs': [{'name': f'noise.{name}', 'shape': [1, int(buf.shape[-2]), int(buf.shape[-1])]} for name, _, buf in noise_layers]}
        if noise_layers
        else {'kind': 'none'},
        'modalities': modalities,
        'features': features,
        'resolution': resolution,
    }
    if has_truncation:
        manifest['truncation'] = {'input': 'psi', 'default': args.truncation_default}
    with open(os.path.join(args.out, 'generator.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')

    total = sum(f['channels'] for f in features)
    print(f'wrote {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB) and generator.json')
    described = ', '.join('%s (%d ch)' % (m['id'], m['channels']) for m in modalities)
    print(f'  modalities: {described} at {resolution}x{resolution}')
    print(f'  {len(features)} feature maps, {total} channels: {", ".join(f["name"] for f in features)}')
    print(f'  noise: {args.noise}' + (f' ({len(noise_layers)} inputs)' if noise_layers else '') + f'; truncation: {"psi input" if has_truncation else "none (no w_avg)"}')
    if extra_heads:
        print(f'  note: the last block also has the head(s) {", ".join(extra_heads)}; add --head {extra_heads[0]}=nir (for example) to export it as a modality')


if __name__ == '__main__':
    main()
