// The class sets of the built-in renderer's masks, shared by the renderer (exact ground
// truth) and the project templates (so a template's class ids are the renderer's ids).
//
// Face mode (FACE_CLASSES), one id per pixel, never blended:
//    0 background      everything that is not head or neck, clothing included
//    1 skin            face, forehead, neck and the skin inside a neckline
//    2 hair            scalp hair (buzz cuts included)
//    3 brows
//    4 sclera          eye whites
//    5 iris
//    6 pupil
//    7 nose            the raised part of the nose, nostrils included
//    8 lips
//    9 mouth interior  teeth and the dark inside of an open mouth
//   10 ears
//   11 glasses         the frame (rims, bridge, temples); lenses are transparent, so the pixels
//                      behind a lens keep the class of what is seen through it
// Ids 0..9 are the 10-class face set; 10 and 11 are additions.
//
// Ocular mode (OCULAR_CLASSES), BiOcularGAN's four classes for a crop around one eye:
//    0 background (skin, lids, lashes, brows, everything else), 1 sclera, 2 iris, 3 pupil.

export interface ClassInfo {
  id: number
  name: string
  /** Display colour as "#rrggbb"; also the palette entry of the class in mask PNGs. */
  color: string
}

export const FACE_CLASSES: readonly ClassInfo[] = Object.freeze([
  { id: 0, name: 'background', color: '#000000' },
  { id: 1, name: 'skin', color: '#cc8f6e' },
  { id: 2, name: 'hair', color: '#5a3b1c' },
  { id: 3, name: 'brows', color: '#e0c030' },
  { id: 4, name: 'sclera', color: '#f2f2f2' },
  { id: 5, name: 'iris', color: '#2f7fd8' },
  { id: 6, name: 'pupil', color: '#ff2ad4' },
  { id: 7, name: 'nose', color: '#41c85a' },
  { id: 8, name: 'lips', color: '#e0303a' },
  { id: 9, name: 'mouth interior', color: '#7a1fa0' },
  { id: 10, name: 'ears', color: '#f08c1e' },
  { id: 11, name: 'glasses', color: '#28e0e0' }
])

export const OCULAR_CLASSES: readonly ClassInfo[] = Object.freeze([
  { id: 0, name: 'background', color: '#000000' },
  { id: 1, name: 'sclera', color: '#f2f2f2' },
  { id: 2, name: 'iris', color: '#2f7fd8' },
  { id: 3, name: 'pupil', color: '#ff2ad4' }
])

