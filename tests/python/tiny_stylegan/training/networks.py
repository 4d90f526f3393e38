"""A tiny dual-head StyleGAN2-style generator for testing tools/export_stylegan2_onnx.py.

Written for Twinlight's tests: it reproduces the module *names* and calling conventions of
StyleGAN2-ADA / BiFaceGAN generators (G.mapping, G.synthesis.b{res}.conv0/conv1/torgb/toseg,
noise_const buffers, G(z, c, truncation_psi, noise_mode), z_dim/c_dim/img_resolution/
img_channels, conv1 returning (x, x0) as BiFaceGAN's does) with a much simpler, self-written
implementation (bilinear upsampling, plain modulated convolutions). No code is taken from
those projects. Pickles reference it as training.networks.Generator, as real ones do.
"""
import math

import torch
import torch.nn.functional as F


class FullyConnectedLayer(torch.nn.Module):
    def __init__(self, in_features, out_features, bias_init=0.0, activation='linear'):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn([out_features, in_features]))
        self.bias = torch.nn.Parameter(torch.full([out_features], float(bias_init)))
        self.weight_gain = 1 / math.sqrt(in_features)
        self.activation = activation

    def forward(self, x):
        x = F.linear(x, self.weight * self.weight_gain, self.bias)
        if self.activation == 'lrelu':
            x = F.leaky_relu(x, 0.2) * math.sqrt(2)
        return x


class MappingNetwork(torch.nn.Module):
    def __init__(self, z_dim, c_dim, w_dim, num_ws, num_layers=2):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = z_dim, c_dim, w_dim, num_ws
        self.embed = FullyConnectedLayer(c_dim, w_dim) if c_dim > 0 else None
        in_features = z_dim + (w_dim if c_dim > 0 else 0)
        for i in range(num_layers):
            setattr(self, f'fc{i}', FullyConnectedLayer(in_features if i == 0 else w_dim, w_dim, activation='lrelu'))
        self.num_layers = num_layers
        self.register_buffer('w_avg', torch.zeros([w_dim]))

    def forward(self, z, c, truncation_psi=1, truncation_cutoff=None, skip_w_avg_update=False):
        x = z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        if self.c_dim > 0:
            y = self.embed(c.to(torch.float32))
            y = y * (y.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
            x = torch.cat([x, y], dim=1)
        for i in range(self.num_layers):
            x = getattr(self, f'fc{i}')(x)
        x = x.unsqueeze(1).repeat([1, self.num_ws, 1])
        if truncation_psi != 1:
            cutoff = self.num_ws if truncation_cutoff is None else truncation_cutoff
            x[:, :cutoff] = self.w_avg.lerp(x[:, :cutoff], truncation_psi)
        return x


def modulated_conv2d(x, weight, styles, demodulate=True, padding=0, fused_modconv=False):
    batch = x.shape[0]
    w = weight.unsqueeze(0) * styles.reshape(batch, 1, -1, 1, 1)
    if demodulate:
        dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()
    if fused_modconv:
        # One grouped convolution per batch (its group count is the batch size).
        if demodulate:
            w = w * dcoefs.reshape(batch, -1, 1, 1, 1)
        x = x.reshape(1, -1, *x.shape[2:])
        x = F.conv2d(x, w.reshape(-1, *weight.shape[1:]), padding=padding, groups=batch)
        return x.reshape(batch, -1, *x.shape[2:])
    x = x * styles.reshape(batch, -1, 1, 1)
    x = F.conv2d(x, weight, padding=padding)
    if demodulate:
        x = x * dcoefs.reshape(batch, -1, 1, 1)
    return x


class SynthesisLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, w_dim, resolution, up=1, return_x0=False):
        super().__init__()
        self.resolution, self.up, self.return_x0 = resolution, up, return_x0
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, 3, 3]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))
        self.register_buffer('noise_const', torch.randn([resolution, resolution]))
        self.noise_strength = torch.nn.Parameter(torch.zeros([]))

    def forward(self, x, w, noise_mode='random', fused_modconv=False):
        styles = self.affine(w)
        if self.up > 1:
            x = F.interpolate(x, scale_factor=self.up, mode='bilinear', align_corners=False)
        x = modulated_conv2d(x, self.weight, styles, padding=1, fused_modconv=fused_modconv)
        x0 = x
        noise = None
        if noise_mode == 'random':
            noise = torch.randn([x.shape[0], 1, self.resolution, self.resolution], device=x.device) * self.noise_strength
        if noise_mode == 'const':
            noise = self.noise_const * self.noise_strength
        if noise is not None:
            x = x.add(noise)
        x = F.leaky_relu(x + self.bias.reshape(1, -1, 1, 1), 0.2) * math.sqrt(2)
        return (x, x0) if self.return_x0 else x


class ToRGBLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, w_dim):
        super().__init__()
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, 1, 1]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self, x, w, fused_modconv=False):
        x = modulated_conv2d(x, self.weight, self.affine(w) * self.weight_gain, demodulate=False, fused_modconv=fused_modconv)
        return x + self.bias.reshape(1, -1, 1, 1)


class ToSEGLayer(ToRGBLayer):
    """The second (NIR) head of the dual-branch generator."""


class SynthesisBlock(torch.nn.Module):
    def __init__(self, in_channels, out_channels, w_dim, resolution, img_channels, is_last):
        super().__init__()
        self.in_channels, self.resolution, self.is_last = in_channels, resolution, is_last
        self.num_conv = 0
        self.num_torgb = 1
        if in_channels == 0:
            self.const = torch.nn.Parameter(torch.randn([out_channels, resolution, resolution]))
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=2)
            self.num_conv += 1
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution, return_x0=True)
        self.num_conv += 1
        self.torgb = ToRGBLayer(out_channels, img_channels, w_dim)
        self.toseg = ToSEGLayer(out_channels, 1, w_dim)

    def forward(self, x, img, seg, ws, force_fp32=False, fused_modconv=None, **layer_kwargs):
        if fused_modconv is None:
            fused_modconv = not self.training
        w_iter = iter(ws.unbind(dim=1))
        if self.in_channels == 0:
            x = self.const.unsqueeze(0).repeat([ws.shape[0], 1, 1, 1])
            x, x0 = self.conv1(x, next(w_iter), fused_modconv=fused_modconv, **layer_kwargs)
        else:
            x = self.conv0(x, next(w_iter), fused_modconv=fused_modconv, **layer_kwargs)
            x, _ = self.conv1(x, next(w_iter), fused_modconv=fused_modconv, **layer_kwargs)
        w_rgb = next(w_iter)
        y = self.torgb(x, w_rgb, fused_modconv=fused_modconv)
        s = self.toseg(x, w_rgb, fused_modconv=fused_modconv)
        if img is not None:
            img = F.interpolate(img, scale_factor=2, mode='bilinear', align_corners=False) + y
            seg = F.interpolate(seg, scale_factor=2, mode='bilinear', align_corners=False) + s
        else:
            img, seg = y, s
        return x, img, seg


class SynthesisNetwork(torch.nn.Module):
    def __init__(self, w_dim, img_resolution, img_channels, channels=None):
        super().__init__()
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, img_channels
        self.block_resolutions = [2 ** i for i in range(2, int(math.log2(img_resolution)) + 1)]
        channels = channels or {res: max(4, 64 // res) for res in self.block_resolutions}
        self.num_ws = 0
        for res in self.block_resolutions:
            in_channels = channels[res // 2] if res > 4 else 0
            block = SynthesisBlock(in_channels, channels[res], w_dim, res, img_channels, is_last=res == img_resolution)
            self.num_ws += block.num_conv
            setattr(self, f'b{res}', block)
        self.num_ws += 1  # the last block's torgb

    def forward(self, ws, **block_kwargs):
        x = img = seg = None
        index = 0
        for res in self.block_resolutions:
            block = getattr(self, f'b{res}')
            x, img, seg = block(x, img, seg, ws.narrow(1, index, block.num_conv + block.num_torgb), **block_kwargs)
            index += block.num_conv
        return torch.tanh(img), torch.tanh(seg), []


class Generator(torch.nn.Module):
    def __init__(self, z_dim=8, c_dim=0, w_dim=8, img_resolution=16, img_channels=3):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        self.synthesis = SynthesisNetwork(w_dim, img_resolution, img_channels)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, c_dim, w_dim, self.num_ws)

    def forward(self, z, c=None, truncation_psi=1, truncation_cutoff=None, noise_mode='const', **synthesis_kwargs):
        ws = self.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        img, seg, _ = self.synthesis(ws, noise_mode=noise_mode, **synthesis_kwargs)
        return img, seg
