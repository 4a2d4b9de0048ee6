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
