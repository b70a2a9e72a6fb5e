// Generates schema.d.ts from openapi.yaml with openapi-typescript's documented Node API. The one option: `format:
// binary` becomes Blob (the documented recipe for file bodies), since the CLI maps it to string.
// usage: node generate.mjs <openapi.yaml> <out.d.ts>
import fs from "node:fs";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const [input, output] = process.argv.slice(2);
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const NULL = ts.factory.createLiteralTypeNode(ts.factory.createNull());
const ast = await openapiTS(pathToFileURL(input), {
  transform(schemaObject) {
    if (schemaObject.format === "binary") return schemaObject.nullable ? ts.factory.createUnionTypeNode([BLOB, NULL]) : BLOB;
  },
});
fs.writeFileSync(output, astToString(ast));
