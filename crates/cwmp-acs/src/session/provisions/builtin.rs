//! GenieACS's built-in provisions (`lib/default-provisions.ts`: `refresh`, `value`, `tag`,
//! `instances`), written as scripts for our engine from their documented behaviour, so that
//! they run through the same declarations and planner as stored scripts. A stored provision
//! of the same name is run instead of the built-in one.

/// The script of a built-in provision, or `None`.
pub(crate) fn script(name: &str) -> Option<&'static str> {
    Some(match name {
        // refresh(path, everySeconds?): the subtree's names and values, no older than the
        // last `every` interval (default 1 s: this session).
        "refresh" => {
            "if (typeof args[0] !== 'string') throw new Error('refresh: args[0] must be a path');\n\
             const t = Date.now(1000 * (Number(args[1]) || 1));\n\
             const base = args[0].replace(/\\.$/, '');\n\
             const leaves = [];\n\
             (function walk(p, depth) {\n\
               for (const c of declare(p + '.*', {path: t, object: t})) {\n\
                 if (c.object && c.object[0]) { if (depth < 32) walk(c.path, depth + 1); }\n\
                 else leaves.push(c.path);\n\
               }\n\
             })(base, 0);\n\
             for (const l of leaves) declare(l, {value: t});"
        }
        // value(path, value) or value(path, attribute, value).
        "value" => {
            "if (typeof args[0] !== 'string') throw new Error('value: args[0] must be a path');\n\
             if (args.length > 2 && args[1] !== 'value') throw new Error('value: only the value attribute can be set');\n\
             declare(args[0], {value: 1}, {value: args.length > 2 ? args[2] : args[1]});"
        }
        // tag(name, boolean).
        "tag" => {
            "if (typeof args[0] !== 'string' || typeof args[1] !== 'boolean') throw new Error('tag: args are (name, boolean)');\n\
             declare('Tags.' + args[0], null, {value: args[1]});"
        }
        // instances(path, count): the number of instances matching path.
        "instances" => {
            "if (typeof args[0] !== 'string') throw new Error('instances: args[0] must be a path');\n\
             const n = Number(args[1]);\n\
             if (!(n >= 0)) throw new Error('instances: args[1] must be a count');\n\
             declare(args[0], {path: 1}, {path: n});"
        }
        _ => return None,
    })
}
