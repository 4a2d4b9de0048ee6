// --units: the size of an identity in space units, which sets post-service's difficulty; `probe` and `--bench` each
// say what they use it for.
import { Type } from "@sinclair/typebox";
import { field } from "./config";

export const UNITS = field({
  flag: "units",
  arg: "N",
  read: Number,
  schema: Type.Integer({ minimum: 1 }),
  takes: "a whole number of space units",
  help: "space units of an identity",
});
