// Baseline (a): the template's mask, resized onto the query, is the prediction. It scores well only where the
// structure sits in the same place in every image; the model has to beat it by actually looking at the query.
import type { Mask } from '../data/image.js';
import type { ImageSize } from '../data/prompt.js';
import { resizeMask } from '../data/resize.js';

export const copyTemplateMask = (templateMask: Mask, query: ImageSize): Mask => resizeMask(templateMask, query.width, query.height);
