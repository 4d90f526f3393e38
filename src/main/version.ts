// The studio's version, kept in one place (package.json is not bundled into the build).
export const APP_VERSION = '0.1.0'
