import FacePipeline
import Testing

/// The image pyramid: where it starts, where it stops, and what a minimum face relative to the photo removes.
@Suite struct MTCNNConfigurationTests {
    @Test func theFirstLevelMapsTheMinimumFaceOntoPNetsWindowAndTheLastKeepsTwelvePixels() throws {
        let scales = MTCNNConfiguration().pyramidScales(width: 250, height: 250)
        let first = try #require(scales.first)
        let last = try #require(scales.last)
        #expect(abs(first - 12.0 / 20.0) < 1e-12, "a 20-pixel face becomes P-Net's 12-pixel window")
        #expect(250 * last >= 12)
        #expect(250 * last * 0.709 < 12)
        #expect(scales.count == 8)
    }

    @Test func aMinimumFaceFractionDropsTheLevelsOfSmallerFacesAndKeepsTheOthersAsTheyAre() throws {
        var configuration = MTCNNConfiguration()
        configuration.minimumFaceFraction = 0.2
        let full = MTCNNConfiguration().pyramidScales(width: 250, height: 250)
        let skipping = configuration.pyramidScales(width: 250, height: 250)
        // 0.2 of 250 pixels is a 50-pixel face. The levels kept are the last ones of the full pyramid, from the one
        // whose smallest face (12 / scale) is within one step below 50 pixels: 75×75 instead of 150×150.
        #expect(Array(full.suffix(skipping.count)) == skipping)
        #expect(skipping.count == 6)
        let first = try #require(skipping.first)
        #expect(12 / first <= 50 && 12 / first > 50 * 0.709)
        let pixels = { (scales: [Double]) in scales.map { 250 * $0 * 250 * $0 }.reduce(0, +) }
        #expect(pixels(skipping) < pixels(full) / 3, "P-Net reads about a quarter of the pixels")

        // Below the absolute minimum, the fraction changes nothing.
        configuration.minimumFaceFraction = 0.05
        #expect(configuration.pyramidScales(width: 250, height: 250) == full)
    }

    @Test func theFractionIsOfTheShorterSide() throws {
        var configuration = MTCNNConfiguration()
        configuration.minimumFaceFraction = 0.1
        // 0.1 of 480 pixels: 48-pixel faces.
        let first = try #require(configuration.pyramidScales(width: 640, height: 480).first)
        #expect(12 / first <= 48 && 12 / first > 48 * 0.709)
    }
}
