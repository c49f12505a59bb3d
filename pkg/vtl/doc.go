// Package vtl implements the Velocity Template Language as AWS API Gateway
// uses it in mapping templates (Apache Velocity 1.7 semantics), with the
// API Gateway variables $input, $util, $context and $stageVariables.
//
// A template is compiled once and executed many times, concurrently:
//
//	t, err := vtl.Compile(src)          // syntax errors carry line:col
//	out, ov, err := t.Render(ctx, &vtl.Vars{Body: body, Header: h, Context: c})
//
// Language: references ($a, ${a}, $!a, $!{a}) with properties ($a.b),
// indexes ($a[0], $a["k"]) and method calls ($a.m(x)); #set (also
// #set($map.key = v)); #if/#elseif/#else/#end; #foreach with $foreach.index,
// .count, .hasNext, .first, .last, .parent and $velocityCount; #break;
// #stop; ## and #* *# comments; #[[ unparsed ]]#; string, number, boolean,
// null, list, map and range literals; arithmetic, comparison and logical
// operators (also as words: eq ne lt gt le ge and or not).
//
// Values: null, booleans, int64 (Java int/long), float64 (Java double),
// strings, *Map (ordered, renders like Java: {a=1, b=x}) and *List
// (renders [a, b]). Strings, maps and lists have the common
// java.lang.String / java.util.Map / java.util.List methods; regular
// expressions (replaceAll, matches, split) run on Go's regexp.
//
// Velocity 1.7 rules kept on purpose:
//   - a null reference renders as written ("$foo" stays "$foo") unless it
//     is quiet ($!foo); references rooted at $input, $util, $context or
//     $stageVariables render empty when null, as API Gateway does;
//   - null, false are false; everything else (also "" and []) is true;
//   - #set with a null right-hand side leaves the target unchanged;
//   - identifiers may contain '-' ($a-b is one name);
//   - whitespace: a newline right after a directive's closing ')' or after
//     #else/#end is eaten, as are the blanks before #set; indentation
//     before other directives is kept;
//   - string literals keep backslashes as written ("\\'" is the regex \\').
//
// Every execution is bounded (Limits): output size, iterations per loop and
// in total, nesting depth and time. Hitting a bound is an error.
package vtl
