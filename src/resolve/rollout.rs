//! `requires` as rollout order: a service rolls out after the services it
//! requires, so the graph must have no cycle, and each service's depth
//! (the longest `requires` chain below it) is the wave it syncs in. Both
//! walks are iterative: a snapshot of thousands of services in one chain
//! must not exhaust the stack.

use std::collections::HashMap;

use crate::error::{Error, ErrorKind};
use crate::load::Snapshot;

/// An error per `requires` cycle of the snapshot (a service that requires
/// itself is one), naming every service in it, at their `requires` lines.
/// Requirements on services the snapshot lacks are left to the pin check.
pub fn cycles(snapshot: &Snapshot) -> Vec<Error> {
    let names: Vec<&str> = snapshot
        .services
        .iter()
        .map(|s| s.name.value.as_str())
        .collect();
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let edges: Vec<Vec<usize>> = snapshot
        .services
        .iter()
        .map(|s| {
            s.requires
                .iter()
                .filter_map(|r| index.get(r.service.value.as_str()).copied())
                .collect()
        })
        .collect();
    let mut errors = Vec::new();
    for component in strongly_connected(&edges) {
        let looped = component.len() > 1 || edges[component[0]].contains(&component[0]);
        if !looped {
            continue;
        }
        // From the smallest name, following requirements inside the cycle,
        // so the message is the same whichever order the file lists them.
        let mut members = component.clone();
        members.sort_by_key(|&i| names[i]);
        let mut chain = vec![members[0]];
        let mut seen = vec![members[0]];
        loop {
            let here = *chain.last().expect("a chain");
            let next = edges[here]
                .iter()
                .copied()
                .filter(|n| component.contains(n))
                .min_by_key(|&n| (seen.contains(&n), names[n]));
            match next {
                Some(n) if !seen.contains(&n) => {
                    chain.push(n);
                    seen.push(n);
                }
                Some(n) => {
                    chain.push(n);
                    break;
                }
                None => break,
            }
        }
        let mut error = Error::new(ErrorKind::RequiresCycle {
            chain: chain
                .iter()
                .map(|&i| names[i])
                .collect::<Vec<_>>()
                .join(" → "),
        });
        for &i in &members {
            let service = &snapshot.services[i];
            for r in &service.requires {
                if index
                    .get(r.service.value.as_str())
                    .is_some_and(|j| component.contains(j))
                {
                    error = error.label(
                        &r.service.loc,
                        format!("`{}` requires `{}`", names[i], r.service.value),
                    );
                }
            }
        }
        errors.push(error);
    }
    errors
}

/// Tarjan's strongly connected components, without recursion.
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut out = Vec::new();
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        // (node, the position of the next edge to follow)
        let mut work: Vec<(usize, usize)> = vec![(start, 0)];
        index[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&mut (v, ref mut e)) = work.last_mut() {
            if *e < edges[v].len() {
                let w = edges[v][*e];
                *e += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

/// Each service's wave: 0 for a service that requires nothing (of the
/// snapshot), else one more than the deepest service it requires. `requires`
/// maps a service to the services it requires; the graph has no cycle
/// (`cycles` refused the snapshot otherwise).
pub fn depths<'a>(requires: &HashMap<&'a str, Vec<&'a str>>) -> HashMap<&'a str, usize> {
    let mut depth: HashMap<&str, usize> = HashMap::new();
    for &start in requires.keys() {
        if depth.contains_key(start) {
            continue;
        }
        let mut work: Vec<(&str, bool)> = vec![(start, false)];
        while let Some((service, expanded)) = work.pop() {
            if depth.contains_key(service) {
                continue;
            }
            let below = requires.get(service).map_or(&[][..], Vec::as_slice);
            let below: Vec<&str> = below
                .iter()
                .copied()
                .filter(|r| requires.contains_key(r))
                .collect();
            if expanded || below.iter().all(|r| depth.contains_key(r)) {
                let d = below
                    .iter()
                    .map(|r| depth.get(r).map_or(0, |d| d + 1))
                    .max()
                    .unwrap_or(0);
                depth.insert(service, d);
            } else {
                work.push((service, true));
                work.extend(below.iter().map(|r| (*r, false)));
            }
        }
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_waits_for_its_longest_chain() {
        let mut requires: HashMap<&str, Vec<&str>> = HashMap::new();
        requires.insert("front", vec!["cart", "catalog"]);
        requires.insert("cart", vec!["taxe"]);
        requires.insert("taxe", vec![]);
        requires.insert("catalog", vec![]);
        let d = depths(&requires);
        assert_eq!(
            (d["taxe"], d["catalog"], d["cart"], d["front"]),
            (0, 0, 1, 2)
        );
    }

    #[test]
    fn finds_components_without_recursion() {
        let n = 50_000;
        let mut edges: Vec<Vec<usize>> = (0..n).map(|i| vec![i + 1]).collect();
        edges[n - 1] = vec![0];
        let components = strongly_connected(&edges);
        assert_eq!(components.len(), 1);
        assert_eq!(components[0].len(), n);
    }
}
