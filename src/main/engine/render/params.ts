// The parameter vector of the parametric face model, and its prior.
//
// Like a 3D morphable model's coefficients, the parameters are split into groups:
//   identity      who the person is: head and jaw shape, skin, hair, eyes, brows, nose, lips, ears
//   expression    smile, mouth open, eye openness, brow raise, gaze
//   pose          yaw, pitch, roll of the head (radians)
//   illumination  light direction, intensity, ambient, colour temperature, backdrop
//   accessories   glasses and clothing
// Most shape and appearance values are normalised to [0, 1] (0.5 is the average person) or
// [-1, 1] for signed ones; the renderer maps them to geometry. PARAM_VECTOR_LAYOUT documents
// every entry of the flat vector form with its range.
//
// The prior (sampleParams) draws two latent variables first, a masculinity score and an age,
// and lets them correlate the visible parameters (jaw width, brow thickness, hair style,
// receding hairline, grey hair, make-up, skin texture); skin tone correlates hair and iris
// melanin. The identity group is drawn from its own random stream, so
// sampleParams(seed, { identity }) keeps the person and redraws expression, pose, light and
// accessories from the seed.
import { Rng, deriveSeed } from './prng'

export const HAIR_STYLES = ['bald', 'buzz', 'short', 'bangs', 'bob', 'long'] as const
export type HairStyle = (typeof HAIR_STYLES)[number]

export interface IdentityParams {
  /** Skull half-width, [0, 1]. */
  headWidth: number
  /** Skull half-height, [0, 1]. */
  headHeight: number
  /** Skull depth, [0, 1]. */
  headDepth: number
  /** Width at the jaw angle relative to the skull, [0, 1]. */
  jawWidth: number
  /** Height of the jaw angle (0 high, 1 low), [0, 1]. */
  jawAngle: number
  /** Chin width, [0, 1]. */
  chinWidth: number
  /** Chin length (lower face height), [0, 1]. */
  chinLength: number
  /** 0 round or pointed chin, 1 square chin, [0, 1]. */
  chinSquare: number
  /** Cheekbone prominence, [0, 1]. */
  cheekbones: number
  /** 0 very light to 1 very dark, [0, 1]. */
  skinTone: number
  /** Undertone: -1 pink/cool to 1 olive/warm, [-1, 1]. */
  skinUndertone: number
  /** Amplitude of skin texture noise (pores, blotches, age), [0, 1]. */
  skinTexture: number
  /** Redness of the cheeks, [0, 1]. */
  rosiness: number
  /** Shaved-beard shadow on the lower face, [0, 1]. */
  beardShadow: number
  /** Phase of every texture noise (skin, hair strands, iris), [0, 1). */
  textureSeed: number
  hairStyle: HairStyle
  /** Length within the style, [0, 1]. */
  hairLength: number
  /** Volume (thickness of the hair above the skull), [0, 1]. */
  hairVolume: number
  /** 0 straight, 0.5 wavy, 1 curly, [0, 1]. */
  hairWave: number
  /** Parting position, -1 image left, 0 centre, 1 image right, [-1, 1]. */
  hairPart: number
  /** Hairline height: 0 low, 1 high or receding, [0, 1]. */
  hairline: number
  /** Eumelanin: 0 blond, 1 black, [0, 1]. */
  hairMelanin: number
  /** Pheomelanin (red, auburn), [0, 1]. */
  hairRed: number
  /** Grey fraction, [0, 1]. */
  hairGray: number
  /** Eye width, [0, 1]. */
  eyeSize: number
  /** Distance between the eyes, [0, 1]. */
  eyeSpacing: number
  /** Vertical position of the eyes, [0, 1]. */
  eyeHeight: number
  /** Canthal tilt: -1 outer corners down, 1 up, [-1, 1]. */
  eyeTilt: number
  /** 0 narrow almond, 1 round, [0, 1]. */
  eyeRoundness: number
  /** Upper-lid crease: 0 monolid, 1 deep double lid, [0, 1]. */
  lidCrease: number
  /** 0 dark brown, 0.35 hazel, 0.6 green, 1 light blue-grey, [0, 1]. */
  irisColor: number
  /** Iris diameter, [0, 1]. */
  irisSize: number
  browThickness: number
  browArch: number
  browLength: number
  /** Gap between eye and brow, [0, 1]. */
  browHeight: number
  /** -1 outer ends down, 1 up, [-1, 1]. */
  browTilt: number
  /** 0 as light as the hair can be, 1 darker than the hair, [0, 1]. */
  browDarkness: number
  noseLength: number
  noseWidth: number
  noseProjection: number
  noseBridge: number
  /** Size of the nose tip, [0, 1]. */
  noseTip: number
  mouthWidth: number
  upperLip: number
  lowerLip: number
  /** Natural lip redness, [0, 1]. */
  lipColor: number
  /** Mouth position between nose and chin, [0, 1]. */
  mouthHeight: number
  earSize: number
  /** How far the ears stand out, [0, 1]. */
  earProtrusion: number
  /** Lipstick, eyeliner, eyeshadow, blush; visible in RGB only, [0, 1]. */
  makeup: number
}

export interface ExpressionParams {
  /** -0.4 frown to 1 broad smile. */
  smile: number
  /** 0 closed to 1 wide open. */
  mouthOpen: number
  /** 0 closed, about 0.8 relaxed, 1 wide open. */
  eyeOpen: number
  /** -1 lowered to 1 raised. */
  browRaise: number
  /** Gaze direction, -1 image left to 1 image right. */
  gazeX: number
  /** Gaze direction, -1 up to 1 down. */
  gazeY: number
}

export interface PoseParams {
  /** Radians, positive turns the face towards image right, [-0.6, 0.6]. */
  yaw: number
  /** Radians, positive looks up, [-0.35, 0.35]. */
  pitch: number
  /** Radians, positive tilts the head clockwise in the image, [-0.3, 0.3]. */
  roll: number
}

export interface IlluminationParams {
  /** Light azimuth in radians: 0 frontal, positive from image right, [-1.4, 1.4]. */
  azimuth: number
  /** Light elevation in radians: positive from above, [-0.2, 1.0]. */
  elevation: number
  /** Directional light intensity, [0, 1.5]. */
  intensity: number
  /** Ambient light, [0, 1]. */
  ambient: number
  /** Colour temperature: -1 cool to 1 warm, [-1, 1]. */
  warmth: number
  backgroundHue: number
  backgroundLightness: number
}

export interface AccessoryParams {
  glasses: boolean
  /** 0 round to 1 rectangular, [0, 1]. */
  glassesShape: number
  glassesSize: number
  frameThickness: number
  /** 0 black, 0.4 brown, 0.7 gold, 1 silver, [0, 1]. */
  frameColor: number
  /** Lens tint, [0, 1]. */
  lensTint: number
  clothingHue: number
  clothingLightness: number
  /** 0 crew neck to 1 V neck, [0, 1]. */
  neckline: number
}

export interface FaceParams {
  identity: IdentityParams
  expression: ExpressionParams
  pose: PoseParams
  illumination: IlluminationParams
  accessories: AccessoryParams
}

export type ParamGroup = keyof FaceParams

export interface ParamVectorEntry {
  /** Position in the flat vector. */
  index: number
  /** "group.key", or "identity.hairStyle=<style>" for the one-hot hair style entries. */
  name: string
  group: ParamGroup
  key: string
  min: number
  max: number
  kind: 'continuous' | 'onehot' | 'boolean'
}

type Spec = readonly [group: ParamGroup, key: string, min: number, max: number, kind?: 'boolean']

const CONTINUOUS: readonly Spec[] = [
  ['identity', 'headWidth', 0, 1],
  ['identity', 'headHeight', 0, 1],
  ['identity', 'headDepth', 0, 1],
  ['identity', 'jawWidth', 0, 1],
  ['identity', 'jawAngle', 0, 1],
  ['identity', 'chinWidth', 0, 1],
  ['identity', 'chinLength', 0, 1],
  ['identity', 'chinSquare', 0, 1],
  ['identity', 'cheekbones', 0, 1],
  ['identity', 'skinTone', 0, 1],
  ['identity', 'skinUndertone', -1, 1],
  ['identity', 'skinTexture', 0, 1],
  ['identity', 'rosiness', 0, 1],
  ['identity', 'beardShadow', 0, 1],
  ['identity', 'textureSeed', 0, 1],
  ['identity', 'hairLength', 0, 1],
  ['identity', 'hairVolume', 0, 1],
  ['identity', 'hairWave', 0, 1],
  ['identity', 'hairPart', -1, 1],
  ['identity', 'hairline', 0, 1],
  ['identity', 'hairMelanin', 0, 1],
  ['identity', 'hairRed', 0, 1],
  ['identity', 'hairGray', 0, 1],
  ['identity', 'eyeSize', 0, 1],
  ['identity', 'eyeSpacing', 0, 1],
  ['identity', 'eyeHeight', 0, 1],
  ['identity', 'eyeTilt', -1, 1],
  ['identity', 'eyeRoundness', 0, 1],
  ['identity', 'lidCrease', 0, 1],
  ['identity', 'irisColor', 0, 1],
  ['identity', 'irisSize', 0, 1],
  ['identity', 'browThickness', 0, 1],
  ['identity', 'browArch', 0, 1],
  ['identity', 'browLength', 0, 1],
  ['identity', 'browHeight', 0, 1],
  ['identity', 'browTilt', -1, 1],
  ['identity', 'browDarkness', 0, 1],
  ['identity', 'noseLength', 0, 1],
  ['identity', 'noseWidth', 0, 1],
  ['identity', 'noseProjection', 0, 1],
  ['identity', 'noseBridge', 0, 1],
  ['identity', 'noseTip', 0, 1],
  ['identity', 'mouthWidth', 0, 1],
  ['identity', 'upperLip', 0, 1],
  ['identity', 'lowerLip', 0, 1],
  ['identity', 'lipColor', 0, 1],
  ['identity', 'mouthHeight', 0, 1],
  ['identity', 'earSize', 0, 1],
  ['identity', 'earProtrusion', 0, 1],
  ['identity', 'makeup', 0, 1],
  ['expression', 'smile', -0.4, 1],
  ['expression', 'mouthOpen', 0, 1],
  ['expression', 'eyeOpen', 0, 1],
  ['expression', 'browRaise', -1, 1],
  ['expression', 'gazeX', -1, 1],
  ['expression', 'gazeY', -1, 1],
  ['pose', 'yaw', -0.6, 0.6],
  ['pose', 'pitch', -0.35, 0.35],
  ['pose', 'roll', -0.3, 0.3],
  ['illumination', 'azimuth', -1.4, 1.4],
  ['illumination', 'elevation', -0.2, 1.0],
  ['illumination', 'intensity', 0, 1.5],
  ['illumination', 'ambient', 0, 1],
  ['illumination', 'warmth', -1, 1],
  ['illumination', 'backgroundHue', 0, 1],
  ['illumination', 'backgroundLightness', 0, 1],
  ['accessories', 'glasses', 0, 1, 'boolean'],
  ['accessories', 'glassesShape', 0, 1],
  ['accessories', 'glassesSize', 0, 1],
  ['accessories', 'frameThickness', 0, 1],
  ['accessories', 'frameColor', 0, 1],
  ['accessories', 'lensTint', 0, 1],
  ['accessories', 'clothingHue', 0, 1],
  ['accessories', 'clothingLightness', 0, 1],
  ['accessories', 'neckline', 0, 1]
]

/**
 * The flat vector form, in order: the continuous identity entries (headWidth … makeup), then
 * six one-hot entries for identity.hairStyle in HAIR_STYLES order, then expression (smile,
 * mouthOpen, eyeOpen, browRaise, gazeX, gazeY), pose (yaw, pitch, roll), illumination
 * (azimuth, elevation, intensity, ambient, warmth, backgroundHue, backgroundLightness) and
 * accessories (glasses as 0/1, glassesShape, glassesSize, frameThickness, frameColor, lensTint,
 * clothingHue, clothingLightness, neckline). Values are raw (not normalised); min/max give
 * each entry's range for a consumer that wants to normalise.
 */
export const PARAM_VECTOR_LAYOUT: readonly ParamVectorEntry[] = (() => {
  const out: ParamVectorEntry[] = []
  const push = (e: Omit<ParamVectorEntry, 'index'>): void => {
    out.push({ index: out.length, ...e })
  }
  for (const [group, key, min, max, kind] of CONTINUOUS) {
    push({ name: `${group}.${key}`, group, key, min, max, kind: kind ?? 'continuous' })
    if (group === 'identity' && key === 'makeup') {
      for (const style of HAIR_STYLES) {
        push({ name: `identity.hairStyle=${style}`, group, key: 'hairStyle', min: 0, max: 1, kind: 'onehot' })
      }
    }
  }
  return Object.freeze(out)
})()

/** Length of the flat parameter vector. */
export const PARAM_VECTOR_LENGTH = PARAM_VECTOR_LAYOUT.length

/** Flatten parameters into the documented vector (see PARAM_VECTOR_LAYOUT). */
export function paramsToVector(params: FaceParams): Float64Array {
  const v = new Float64Array(PARAM_VECTOR_LENGTH)
  for (const e of PARAM_VECTOR_LAYOUT) {
    const group = params[e.group] as unknown as Record<string, unknown>
    if (e.kind === 'onehot') {
      v[e.index] = e.name.endsWith(`=${String(group.hairStyle)}`) ? 1 : 0
    } else if (e.kind === 'boolean') {
      v[e.index] = group[e.key] ? 1 : 0
    } else {
      v[e.index] = Number(group[e.key])
    }
  }
  return v
}

/** Rebuild parameters from the flat vector; hair style is the arg-max of its one-hot block. */
export function paramsFromVector(vector: ArrayLike<number>): FaceParams {
  if (vector.length !== PARAM_VECTOR_LENGTH) {
    throw new RangeError(`parameter vector has ${vector.length} entries, expected ${PARAM_VECTOR_LENGTH}`)
  }
  const groups: Record<ParamGroup, Record<string, unknown>> = {
    identity: {},
    expression: {},
    pose: {},
    illumination: {},
    accessories: {}
  }
  let bestStyle = 0
  let bestValue = -Infinity
  let styleIndex = 0
  for (const e of PARAM_VECTOR_LAYOUT) {
    const value = vector[e.index]
    if (e.kind === 'onehot') {
      if (value > bestValue) {
        bestValue = value
        bestStyle = styleIndex
      }
      styleIndex++
    } else if (e.kind === 'boolean') {
      groups[e.group][e.key] = value >= 0.5
    } else {
      groups[e.group][e.key] = value
    }
  }
  groups.identity.hairStyle = HAIR_STYLES[bestStyle]
  return groups as unknown as FaceParams
}

/**
 * Converts in either direction: given a vector, returns the parameters (the inverse of
 * paramsToVector); given parameters, returns the vector.
 */
export function vectorFromParams(vector: ArrayLike<number>): FaceParams
export function vectorFromParams(params: FaceParams): Float64Array
export function vectorFromParams(input: ArrayLike<number> | FaceParams): FaceParams | Float64Array {
  if (typeof (input as ArrayLike<number>).length === 'number') return paramsFromVector(input as ArrayLike<number>)
  return paramsToVector(input as FaceParams)
}

export interface SampleOptions {
  /** Keep this person: only expression, pose, illumination and accessories are drawn. */
  identity?: IdentityParams
  /** Keep these accessories too (otherwise they are drawn from the seed). */
  accessories?: AccessoryParams
}

/** Random streams: one per group, so fixing one group leaves the others' draws unchanged. */
const STREAM = { identity: 1, expression: 2, pose: 3, illumination: 4, accessories: 5 } as const

const clip01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x)

/**
 * Draw a face from the prior. The same seed always gives the same parameters.
 *
 * Prior, in words: a latent masculinity m (bimodal) and age a (uniform) per identity;
 * jaw and chin wider, brows thicker and lower, lips thinner, noses larger with m; hairline
 * recedes and hair greys with a; hair style weights depend on m (short and buzz cuts, some bald
 * men; bangs, bobs and long hair for the others); make-up only for low m. Skin tone is uniform
 * over the whole range; darker skin makes dark hair and brown eyes likely. Expressions: about
 * half neutral, half smiling, a third with an open mouth, a few blinks; gaze mostly ahead. Pose:
 * yaw ~ N(0, 0.22 rad), pitch ~ N(0, 0.1), roll ~ N(0, 0.07), clipped. Light from the front
 * half-space above the horizon, random intensity, ambient and warmth. Glasses on a quarter of
 * the samples.
 */
export function sampleParams(seed: number, options: SampleOptions = {}): FaceParams {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a non-negative integer, got ${seed}`)
  }
  const identity = options.identity ? { ...options.identity } : sampleIdentity(new Rng(deriveSeed(seed, STREAM.identity)))
  return {
    identity,
    expression: sampleExpression(new Rng(deriveSeed(seed, STREAM.expression))),
    pose: samplePose(new Rng(deriveSeed(seed, STREAM.pose))),
    illumination: sampleIllumination(new Rng(deriveSeed(seed, STREAM.illumination))),
    accessories: options.accessories
      ? { ...options.accessories }
      : sampleAccessories(new Rng(deriveSeed(seed, STREAM.accessories)))
  }
}

function sampleIdentity(r: Rng): IdentityParams {
  const male = r.chance(0.5)
  const m = male ? r.uniform(0.55, 1) : r.uniform(0, 0.45)
  const age = r.next()
  const skinTone = clip01(r.next() * 1.04 - 0.02)
  const g = (mean: number, sd: number): number => r.gauss(mean, sd, 0, 1)
  const gs = (mean: number, sd: number): number => r.gauss(mean, sd, -1, 1)

  const styleWeights = male
    ? [0.05 + 0.2 * age * age, 0.2, 0.52, 0.1, 0.05, 0.08]
    : [0.005, 0.03, 0.12, 0.25, 0.24, 0.36]
  const hairStyle = HAIR_STYLES[r.pick(styleWeights)]
  // Hair melanin: dark skin makes dark hair likely; light skin spans blond to black.
  const hairMelanin = skinTone > 0.45 ? g(0.9, 0.1) : clip01(r.next() * 1.15 - 0.05 + skinTone * 0.4)
  const hairRed = skinTone < 0.35 && r.chance(0.15) ? r.uniform(0.5, 1) : g(0.12, 0.1)
  const irisColor = skinTone > 0.45 ? g(0.08, 0.08) : r.chance(0.5) ? g(0.12, 0.12) : r.uniform(0.3, 1)
  return {
    headWidth: g(0.5 + 0.2 * (m - 0.5), 0.18),
    headHeight: g(0.5, 0.18),
    headDepth: g(0.5, 0.18),
    jawWidth: g(0.35 + 0.45 * m, 0.15),
    jawAngle: g(0.5, 0.2),
    chinWidth: g(0.3 + 0.45 * m, 0.17),
    chinLength: g(0.45 + 0.15 * m, 0.2),
    chinSquare: g(0.25 + 0.5 * m, 0.2),
    cheekbones: g(0.5, 0.22),
    skinTone,
    skinUndertone: gs(0, 0.45),
    skinTexture: g(0.15 + 0.55 * age, 0.12),
    rosiness: g(skinTone < 0.4 ? 0.4 : 0.15, 0.2),
    beardShadow: male && r.chance(0.45) ? r.uniform(0.2, 1) : 0,
    textureSeed: r.next(),
    hairStyle,
    hairLength: r.next(),
    hairVolume: g(0.45, 0.25),
    hairWave: skinTone > 0.6 && r.chance(0.5) ? r.uniform(0.7, 1) : r.chance(0.3) ? r.uniform(0.3, 1) : g(0.1, 0.1),
    hairPart: r.chance(0.35) ? gs(0, 0.1) : r.chance(0.5) ? r.uniform(0.35, 0.8) : r.uniform(-0.8, -0.35),
    hairline: male ? g(0.3 + 0.6 * age, 0.15) : g(0.3, 0.15),
    hairMelanin,
    hairRed,
    hairGray: age > 0.55 ? clip01((age - 0.55) * 2.2 * r.uniform(0.5, 1.2)) : 0,
    eyeSize: g(0.5, 0.2),
    eyeSpacing: g(0.5, 0.2),
    eyeHeight: g(0.5, 0.2),
    eyeTilt: gs(0.1, 0.35),
    eyeRoundness: g(0.45, 0.22),
    lidCrease: r.chance(0.2) ? g(0.1, 0.1) : g(0.65, 0.2),
    irisColor,
    irisSize: g(0.5, 0.2),
    browThickness: g(0.3 + 0.45 * m, 0.15),
    browArch: g(0.6 - 0.35 * m, 0.18),
    browLength: g(0.5, 0.2),
    browHeight: g(0.55 - 0.25 * m, 0.18),
    browTilt: gs(0, 0.35),
    browDarkness: g(0.5, 0.25),
    noseLength: g(0.45 + 0.15 * m, 0.2),
    noseWidth: g(0.4 + 0.2 * m + 0.15 * skinTone, 0.18),
    noseProjection: g(0.5 + 0.15 * m - 0.2 * skinTone, 0.2),
    noseBridge: g(0.35 + 0.3 * m, 0.2),
    noseTip: g(0.5, 0.2),
    mouthWidth: g(0.5, 0.2),
    upperLip: g(0.55 - 0.2 * m + 0.15 * skinTone, 0.18),
    lowerLip: g(0.55 - 0.15 * m + 0.15 * skinTone, 0.18),
    lipColor: g(0.5 - 0.15 * m, 0.2),
    mouthHeight: g(0.5, 0.2),
    earSize: g(0.45 + 0.1 * m + 0.2 * age, 0.2),
    earProtrusion: g(0.4, 0.25),
    makeup: !male && r.chance(0.6) ? r.uniform(0.2, 1) : 0
  }
}

function sampleExpression(r: Rng): ExpressionParams {
  const smiling = r.chance(0.55)
  const smile = smiling ? r.uniform(0.3, 1) : r.gauss(0, 0.12, -0.4, 0.25)
  const mouthOpen = r.chance(smiling ? 0.4 : 0.15) ? r.uniform(0.15, 1) : 0
  const eyeOpen = r.chance(0.04) ? r.uniform(0, 0.15) : r.gauss(0.82 - 0.15 * Math.max(0, smile - 0.5), 0.1, 0.35, 1)
  return {
    smile,
    mouthOpen,
    eyeOpen,
    browRaise: r.gauss(0, 0.35, -1, 1),
    gazeX: r.gauss(0, 0.3, -1, 1),
    gazeY: r.gauss(0, 0.25, -1, 1)
  }
}

function samplePose(r: Rng): PoseParams {
  return {
    yaw: r.gauss(0, 0.22, -0.6, 0.6),
    pitch: r.gauss(0, 0.1, -0.35, 0.35),
    roll: r.gauss(0, 0.07, -0.3, 0.3)
  }
}

function sampleIllumination(r: Rng): IlluminationParams {
  return {
    azimuth: r.uniform(-1.1, 1.1),
    elevation: r.uniform(0.05, 0.8),
    intensity: r.uniform(0.7, 1.3),
    ambient: r.uniform(0.2, 0.55),
    warmth: r.gauss(0, 0.4, -1, 1),
    backgroundHue: r.next(),
    backgroundLightness: r.uniform(0.15, 0.95)
  }
}

function sampleAccessories(r: Rng): AccessoryParams {
  return {
    glasses: r.chance(0.25),
    glassesShape: r.next(),
    glassesSize: r.next(),
    frameThickness: r.next(),
    frameColor: r.next(),
    lensTint: r.chance(0.15) ? r.uniform(0.2, 0.7) : 0,
    clothingHue: r.next(),
    clothingLightness: r.next(),
    neckline: r.next()
  }
}
