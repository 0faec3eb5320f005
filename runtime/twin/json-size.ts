/** The length of `JSON.stringify(value)` for a number (ASCII, so also its byte count). */
export function numberJsonLength(value: number): number {
  if (!Number.isFinite(value)) return 4; // NaN and ±Infinity become null
  if (!Number.isSafeInteger(value)) return String(value).length;
  // integers below 2^53 print as plain digits ("-0" prints as "0"): count them without making the string
  let length = value < 0 ? 2 : 1;
  const magnitude = Math.abs(value);
  for (let power = 10; magnitude >= power; power *= 10) length++;
  return length;
}

/** Characters JSON.stringify writes as themselves and that take one UTF-8 byte. */
const PLAIN_JSON_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The UTF-8 size of `JSON.stringify(text)` (ECMA-262 QuoteJSONString), without building it. */
export function jsonStringBytes(text: string): number {
  if (PLAIN_JSON_TEXT.test(text)) return text.length + 2;
  if (PRINTABLE_ASCII.test(text)) {
    // e.g. createOptions (JSON inside a string): only quotes and backslashes are escaped
    let size = text.length + 2;
    for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) size++;
    for (let i = text.indexOf('\\'); i !== -1; i = text.indexOf('\\', i + 1)) size++;
    return size;
  }
  let size = 2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      // \b \t \n \f \r, other control characters as \u00XX, " and \ escaped
      if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) size += 2;
      else size += c < 0x20 ? 6 : 1;
    } else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        size += 4; // a surrogate pair is one 4-byte code point
        i++;
      } else size += 6; // a lone surrogate is written as \uXXXX
    } else if (c >= 0xdc00 && c <= 0xdfff) size += 6;
    else size += 3;
  }
  return size;
}
