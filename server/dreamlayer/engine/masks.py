"""Where the dream may act: softening the hard edge of a selection that has no feather.

A rectangle or lasso selected without feathering would end the dream in a hard straight line. So the mask gets a
ramp of ``radius`` pixels, rising from where the selection ends (nothing selected at all) inwards, and the mask is
never more than that ramp. A feather wider than the radius already rises more slowly and is left as it is; the
ramp only ever lowers the mask, so what was unselected stays exactly as it was. Sides of the picture that are
also the document's edge (``open_sides``) are not edges of the selection, so no ramp starts there.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Below this a pixel counts as not selected: where the selection ends and the ramp starts.
UNSELECTED = 0.02


def soften_edges(mask: torch.Tensor, radius: float, open_sides: tuple[bool, bool, bool, bool] = (True,) * 4) -> torch.Tensor:
    """A (1, 1, H, W) mask in 0..1 that rises over at least ``radius`` pixels from where the selection ends.

    ``open_sides`` (top, bottom, left, right) are the picture's sides that lie on the document's edge.
    """
    if radius < 1:
        return mask
    r = int(round(radius))
    inside = (mask > UNSELECTED).to(mask.dtype)
    top, bottom, left, right = (r if side else 0 for side in open_sides)
    # Beyond an open side the selection goes on (replicate); beyond a closed one it has ended (zeros).
    padded = F.pad(inside, (left, right, top, bottom), mode="replicate") if any(open_sides) else inside
    padded = F.pad(padded, (r - left, r - right, r - top, r - bottom), value=0.0)
    # The selected share of the box around each pixel, as two 1-D passes (the same average, at a cost that grows
    # with the radius rather than its square: a 2048² mask took 3 s in one pass).
    share = F.avg_pool2d(F.avg_pool2d(padded, (1, 2 * r + 1), stride=1), (2 * r + 1, 1), stride=1)
    # 0.5 on a straight edge, 1 at r pixels inside it: a linear ramp over r pixels.
    ramp = (2 * share - 1).clamp(0, 1)
    return torch.minimum(mask, ramp)
