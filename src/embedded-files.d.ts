// Files imported `with { type: "file" }` are their path: on disk from a checkout, embedded in a compiled executable.
declare module "*.so" {
  const path: string;
  export default path;
}
declare module "*.so.0" {
  const path: string;
  export default path;
}
declare module "*.version" {
  const path: string;
  export default path;
}
declare module "*.css" {
  const path: string;
  export default path;
}
/** The dashboard's script, bundled by build.sh (a path, not a module to run on the server). */
declare module "*/ui/dashboard.js" {
  const path: string;
  export default path;
}
