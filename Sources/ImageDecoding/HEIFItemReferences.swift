/// The item references of a HEIF file (`meta`/`iref`, ISO/IEC 14496-12 §8.11.12), read without libheif, to find a
/// loop before libheif follows it. libheif 1.15 (Debian 12) recurses along `dimg` references (a grid's tiles, an
/// overlay's layers) without noticing that an item refers to itself or to an item that refers back: a 2.5 KB file
/// then exhausts the stack and ends the process. Found by `make fuzz`.
enum HEIFItemReferences {
    /// A box: its four-character type and its payload (after the size, type and any 64-bit size).
    private struct Box {
        let type: UInt32
        let payload: Range<Int>
    }

    private static func fourCC(_ text: StaticString) -> UInt32 {
        text.withUTF8Buffer { $0.reduce(0) { $0 << 8 | UInt32($1) } }
    }

    /// Whether any chain of item references comes back to where it started. Malformed boxes are left to libheif,
    /// which reports them; this only answers for what it can read.
    static func containLoop(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let meta = boxes(in: bytes, 0..<bytes.count).first(where: { $0.type == fourCC("meta") }),
            meta.payload.count >= 4
        else { return false }
        // `meta` is a full box: version and flags come first.
        let children = boxes(in: bytes, (meta.payload.lowerBound + 4)..<meta.payload.upperBound)
        guard let iref = children.first(where: { $0.type == fourCC("iref") }), iref.payload.count >= 4 else {
            return false
        }
        let wide = bytes[iref.payload.lowerBound] != 0  // version 1: 32-bit item ids
        var edges: [UInt32: [UInt32]] = [:]
        for reference in boxes(in: bytes, (iref.payload.lowerBound + 4)..<iref.payload.upperBound) {
            var cursor = reference.payload.lowerBound
            let end = reference.payload.upperBound
            guard let from = read(bytes, &cursor, end, width: wide ? 4 : 2),
                let count = read(bytes, &cursor, end, width: 2)
            else { continue }
            for _ in 0..<count {
                guard let to = read(bytes, &cursor, end, width: wide ? 4 : 2) else { break }
                edges[UInt32(truncatingIfNeeded: from), default: []].append(UInt32(truncatingIfNeeded: to))
            }
        }
        return hasCycle(edges)
    }

    /// The boxes laid end to end in `range`, as far as they are well formed.
    private static func boxes(in bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> [Box] {
        var found: [Box] = []
        var cursor = range.lowerBound
        while cursor <= range.upperBound - 8 {
            var field = cursor
            guard let size32 = read(bytes, &field, range.upperBound, width: 4),
                let type = read(bytes, &field, range.upperBound, width: 4)
            else { break }
            var size = Int(size32)  // at most 2^32 - 1: fits
            if size32 == 1 {
                guard let large = read(bytes, &field, range.upperBound, width: 8), large <= UInt64(Int.max) else {
                    break
                }
                size = Int(large)
            } else if size32 == 0 {
                size = range.upperBound - cursor
            }
            let headerLength = field - cursor
            guard size >= headerLength, size <= range.upperBound - cursor else { break }
            found.append(Box(type: UInt32(truncatingIfNeeded: type), payload: field..<(cursor + size)))
            cursor += size
        }
        return found
    }

    /// A big-endian unsigned integer of `width` bytes at `cursor`, which moves past it; nil past `end`.
    private static func read(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int, _ end: Int, width: Int) -> UInt64? {
        guard cursor >= 0, width <= end - cursor, end <= bytes.count else { return nil }
        var value: UInt64 = 0
        for offset in 0..<width { value = value << 8 | UInt64(bytes[cursor + offset]) }
        cursor += width
        return value
    }

    /// Depth-first search with colours, iterative so that a long chain cannot exhaust the stack either.
    private static func hasCycle(_ edges: [UInt32: [UInt32]]) -> Bool {
        enum Color { case onPath, done }
        var color: [UInt32: Color] = [:]
        for start in edges.keys where color[start] == nil {
            var stack: [(node: UInt32, next: Int)] = [(start, 0)]
            color[start] = .onPath
            while let top = stack.last {
                let targets = edges[top.node] ?? []
                guard top.next < targets.count else {
                    color[top.node] = .done
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let target = targets[top.next]
                switch color[target] {
                case .onPath: return true
                case .done: continue
                case nil:
                    color[target] = .onPath
                    stack.append((target, 0))
                }
            }
        }
        return false
    }
}
