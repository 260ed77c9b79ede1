// Search expressions in the API's filter grammar (README "Filtering customers"):
// op(field,value), the value always quoted, with backslash escapes, so that any text
// (commas, parentheses, quotes) is searched for as typed.

// The ways a text can match, as a person says them, and the expression each makes.
export const textMatches = [
  ['eq', 'is'],
  ['like', 'is like'],
  ['starts', 'starts with'],
  ['ends', 'ends with'],
]

// Numbers and dates compare; yes/no fields only equal.
export const orderedMatches = [
  ['eq', 'is'],
  ['gt', 'is more than'],
  ['lt', 'is less than'],
]
export const dateMatches = [
  ['eq', 'is'],
  ['gt', 'is after'],
  ['lt', 'is before'],
]
export const booleanMatches = [['eq', 'is']]

// matchesFor says which matches a field of that type takes (built-in fields are text).
export function matchesFor(type) {
  switch (type) {
    case 'integer': case 'float': return orderedMatches
    case 'date': return dateMatches
    case 'boolean': return booleanMatches
    default: return textMatches
  }
}

export const quote = (v) => `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`

// expression builds the filter for "field match value".
export function expression(field, match, value) {
  switch (match) {
    case 'like': return `like(${field},${quote(`*${value}*`)})`
    case 'starts': return `like(${field},${quote(`${value}*`)})`
    case 'ends': return `like(${field},${quote(`*${value}`)})`
    case 'gt': case 'lt': return `${match}(${field},${quote(value)})`
    default: return `eq(${field},${quote(value)})`
  }
}
