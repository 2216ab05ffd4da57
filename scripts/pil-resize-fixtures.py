#!/usr/bin/env python3
"""Writes the PIL golden images that PilResampleTest and ImageFilesTest compare attn4j against.

    /usr/bin/python3 scripts/pil-resize-fixtures.py   # needs Pillow (Debian: apt-get install python3-pil)

Everything is written as PNG (lossless) into
attn4j-core/src/test/resources/org/attn4j/data/images/:
  noise.png                 37x23 RGB uniform noise (seeded), the resampling input
  noise_WxH_FILTER.png      Image.resize((W, H), FILTER) of noise.png, FILTER in bicubic/bilinear
  smooth.png                97x61 RGB smooth pattern, and smooth_WxH_bicubic.png
  photo.jpg                 smooth.png saved as JPEG (quality 90, 4:2:0) by PIL's libjpeg
  photo_pil_decoded.png     PIL's own decoding of photo.jpg (to measure javax.imageio's JPEG decoder)
  gray.png, gray_rgb.png    an 'L' image and PIL's convert('RGB') of it
  rgba.png, rgba_rgb.png    an 'RGBA' image and PIL's convert('RGB') of it (alpha dropped, no blending)
  palette.png, palette_rgb.png  a 'P' image and PIL's convert('RGB') of it
The sizes cover downsampling by integer and fractional factors (antialiased support), upsampling,
identity, one axis only, and the timm eval resize of a non-square image (shorter side to a target).
"""
import os
import random

from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), '..', 'attn4j-core', 'src', 'test', 'resources',
                   'org', 'attn4j', 'data', 'images')
os.makedirs(OUT, exist_ok=True)

rng = random.Random(20240611)
noise = Image.new('RGB', (37, 23))
noise.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(37 * 23)])
noise.save(os.path.join(OUT, 'noise.png'))

FILTERS = {'bicubic': Image.BICUBIC, 'bilinear': Image.BILINEAR}
for (w, h) in [(17, 11), (8, 5), (2, 2), (1, 1), (50, 31), (37, 23), (37, 9), (12, 23), (74, 46), (29, 19)]:
    for name, f in FILTERS.items():
        noise.resize((w, h), f).save(os.path.join(OUT, 'noise_%dx%d_%s.png' % (w, h, name)))

smooth = Image.new('RGB', (97, 61))
smooth.putdata([((x * 5 + y * 3) % 256, int(127.5 + 120 * ((x - 48) / 48.0) * ((y - 30) / 30.0)),
                 (x * y) % 256 if (x // 8 + y // 8) % 2 else 255 - x)
                for y in range(61) for x in range(97)])
smooth.save(os.path.join(OUT, 'smooth.png'))
# timm eval with img_size 32, crop_pct 0.875: Resize(floor(32 / 0.875) = 36) on the shorter side
# (torchvision: new_long = int(36 * 97 / 61) = 57), then CenterCrop(32).
for (w, h) in [(57, 36), (40, 25), (200, 126)]:
    smooth.resize((w, h), Image.BICUBIC).save(os.path.join(OUT, 'smooth_%dx%d_bicubic.png' % (w, h)))

smooth.save(os.path.join(OUT, 'photo.jpg'), quality=90, subsampling=2)
Image.open(os.path.join(OUT, 'photo.jpg')).convert('RGB').save(os.path.join(OUT, 'photo_pil_decoded.png'))

gray = Image.new('L', (9, 7))
gray.putdata([rng.randrange(256) for _ in range(63)])
gray.save(os.path.join(OUT, 'gray.png'))
gray.convert('RGB').save(os.path.join(OUT, 'gray_rgb.png'))

rgba = Image.new('RGBA', (9, 7))
rgba.putdata([tuple(rng.randrange(256) for _ in range(4)) for _ in range(63)])
rgba.save(os.path.join(OUT, 'rgba.png'))
rgba.convert('RGB').save(os.path.join(OUT, 'rgba_rgb.png'))

pal = noise.crop((0, 0, 9, 7)).convert('P', palette=Image.ADAPTIVE, colors=16)
pal.save(os.path.join(OUT, 'palette.png'))
pal.convert('RGB').save(os.path.join(OUT, 'palette_rgb.png'))
print('wrote fixtures to', os.path.normpath(OUT))

# Float ('F') images: Pillow's 32-bit float path is the same convolution in double precision without any
# rounding, which is what PyTorch's antialiased bicubic computes (in float). InterpolationTest reads these.
fimg = Image.new('F', (7, 5))
fvals = [rng.uniform(-2.0, 2.0) for _ in range(35)]
fimg.putdata(fvals)
with open(os.path.join(OUT, '..', '..', 'ops', 'pil_float_bicubic.txt'), 'w') as f:
    f.write('# scripts/pil-resize-fixtures.py: a 7x5 (W x H) PIL mode F image and Image.resize((W, H), BICUBIC) of it\n')
    f.write('input 7 5 ' + ' '.join(repr(v) for v in fimg.getdata()) + '\n')
    for (w, h) in [(11, 9), (3, 2), (7, 13), (2, 5), (16, 1)]:
        out = fimg.resize((w, h), Image.BICUBIC)
        f.write('output %d %d ' % (w, h) + ' '.join(repr(v) for v in out.getdata()) + '\n')
