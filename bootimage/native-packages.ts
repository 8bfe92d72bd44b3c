/**
 * npm packages with native `.node` addons. esbuild cannot put them into the one-file
 * bundle, so they stay external and their package directories (with their dependencies)
 * are copied into the image's `node_modules` beside the bundle. Packages not installed in
 * tbx's node_modules are skipped, so adding a name here before the dependency lands is
 * harmless. Keep this the one list.
 */
export const NATIVE_PACKAGES: readonly string[] = ['zstd-napi', '@napi-rs/blake-hash'];
