//! Where a request came from: country centroids and great-circle distance, for the impossible
//! travel detector.

/// Approximate centroids (latitude, longitude in degrees) of ISO 3166-1 alpha-2 countries,
/// sorted by code. Coarse on purpose: the detector ignores distances below a few hundred km,
/// so neighbouring countries never look like impossible travel.
static CENTROIDS: &[([u8; 2], f32, f32)] = &[
    (*b"AD", 42.5, 1.5),
    (*b"AE", 24.0, 54.0),
    (*b"AF", 33.0, 65.0),
    (*b"AG", 17.1, -61.8),
    (*b"AL", 41.0, 20.0),
    (*b"AM", 40.0, 45.0),
    (*b"AO", -12.5, 18.5),
    (*b"AR", -34.0, -64.0),
    (*b"AT", 47.3, 13.3),
    (*b"AU", -27.0, 133.0),
    (*b"AZ", 40.5, 47.5),
    (*b"BA", 44.0, 18.0),
    (*b"BB", 13.2, -59.5),
    (*b"BD", 24.0, 90.0),
    (*b"BE", 50.8, 4.0),
    (*b"BF", 13.0, -2.0),
    (*b"BG", 43.0, 25.0),
    (*b"BH", 26.0, 50.5),
    (*b"BI", -3.5, 30.0),
    (*b"BJ", 9.5, 2.3),
    (*b"BN", 4.5, 114.7),
    (*b"BO", -17.0, -65.0),
    (*b"BR", -10.0, -55.0),
    (*b"BS", 24.3, -76.0),
    (*b"BT", 27.5, 90.5),
    (*b"BW", -22.0, 24.0),
    (*b"BY", 53.0, 28.0),
    (*b"BZ", 17.3, -88.8),
    (*b"CA", 60.0, -95.0),
    (*b"CD", -2.5, 23.5),
    (*b"CF", 7.0, 21.0),
    (*b"CG", -1.0, 15.0),
    (*b"CH", 47.0, 8.0),
    (*b"CI", 8.0, -5.0),
    (*b"CL", -30.0, -71.0),
    (*b"CM", 6.0, 12.0),
    (*b"CN", 35.0, 105.0),
    (*b"CO", 4.0, -72.0),
    (*b"CR", 10.0, -84.0),
    (*b"CU", 21.5, -80.0),
    (*b"CV", 16.0, -24.0),
    (*b"CY", 35.0, 33.0),
    (*b"CZ", 49.8, 15.5),
    (*b"DE", 51.0, 9.0),
    (*b"DJ", 11.5, 43.0),
    (*b"DK", 56.0, 10.0),
    (*b"DM", 15.4, -61.3),
    (*b"DO", 19.0, -70.7),
    (*b"DZ", 28.0, 3.0),
    (*b"EC", -2.0, -77.5),
    (*b"EE", 59.0, 26.0),
    (*b"EG", 27.0, 30.0),
    (*b"ER", 15.0, 39.0),
    (*b"ES", 40.0, -4.0),
    (*b"ET", 8.0, 38.0),
    (*b"FI", 64.0, 26.0),
    (*b"FJ", -18.0, 178.0),
    (*b"FR", 46.0, 2.0),
    (*b"GA", -1.0, 11.8),
    (*b"GB", 54.0, -2.0),
    (*b"GD", 12.1, -61.7),
    (*b"GE", 42.0, 43.5),
    (*b"GH", 8.0, -2.0),
    (*b"GM", 13.5, -15.5),
    (*b"GN", 11.0, -10.0),
    (*b"GQ", 2.0, 10.0),
    (*b"GR", 39.0, 22.0),
    (*b"GT", 15.5, -90.3),
    (*b"GW", 12.0, -15.0),
    (*b"GY", 5.0, -59.0),
    (*b"HK", 22.3, 114.2),
    (*b"HN", 15.0, -86.5),
    (*b"HR", 45.2, 15.5),
    (*b"HT", 19.0, -72.4),
    (*b"HU", 47.0, 20.0),
    (*b"ID", -5.0, 120.0),
    (*b"IE", 53.0, -8.0),
    (*b"IL", 31.5, 34.8),
    (*b"IN", 20.0, 77.0),
    (*b"IQ", 33.0, 44.0),
    (*b"IR", 32.0, 53.0),
    (*b"IS", 65.0, -18.0),
    (*b"IT", 42.8, 12.8),
    (*b"JM", 18.2, -77.5),
    (*b"JO", 31.0, 36.0),
    (*b"JP", 36.0, 138.0),
    (*b"KE", 1.0, 38.0),
    (*b"KG", 41.0, 75.0),
    (*b"KH", 13.0, 105.0),
    (*b"KM", -12.2, 44.2),
    (*b"KN", 17.3, -62.7),
    (*b"KP", 40.0, 127.0),
    (*b"KR", 37.0, 127.5),
    (*b"KW", 29.5, 47.8),
    (*b"KZ", 48.0, 68.0),
    (*b"LA", 18.0, 105.0),
    (*b"LB", 33.8, 35.8),
    (*b"LC", 13.9, -61.0),
    (*b"LI", 47.2, 9.5),
    (*b"LK", 7.0, 81.0),
    (*b"LR", 6.5, -9.5),
    (*b"LS", -29.5, 28.5),
    (*b"LT", 56.0, 24.0),
    (*b"LU", 49.8, 6.2),
    (*b"LV", 57.0, 25.0),
    (*b"LY", 25.0, 17.0),
    (*b"MA", 32.0, -5.0),
    (*b"MC", 43.7, 7.4),
    (*b"MD", 47.0, 29.0),
    (*b"ME", 42.5, 19.3),
    (*b"MG", -20.0, 47.0),
    (*b"MK", 41.8, 22.0),
    (*b"ML", 17.0, -4.0),
    (*b"MM", 22.0, 98.0),
    (*b"MN", 46.0, 105.0),
    (*b"MO", 22.2, 113.5),
    (*b"MR", 20.0, -12.0),
    (*b"MT", 35.9, 14.4),
    (*b"MU", -20.3, 57.6),
    (*b"MV", 3.2, 73.0),
    (*b"MW", -13.5, 34.0),
    (*b"MX", 23.0, -102.0),
    (*b"MY", 2.5, 112.5),
    (*b"MZ", -18.3, 35.0),
    (*b"NA", -22.0, 17.0),
    (*b"NE", 16.0, 8.0),
    (*b"NG", 10.0, 8.0),
    (*b"NI", 13.0, -85.0),
    (*b"NL", 52.5, 5.8),
    (*b"NO", 62.0, 10.0),
    (*b"NP", 28.0, 84.0),
    (*b"NZ", -41.0, 174.0),
    (*b"OM", 21.0, 57.0),
    (*b"PA", 9.0, -80.0),
    (*b"PE", -10.0, -76.0),
    (*b"PG", -6.0, 147.0),
    (*b"PH", 13.0, 122.0),
    (*b"PK", 30.0, 70.0),
    (*b"PL", 52.0, 20.0),
    (*b"PR", 18.2, -66.5),
    (*b"PS", 32.0, 35.2),
    (*b"PT", 39.5, -8.0),
    (*b"PY", -23.0, -58.0),
    (*b"QA", 25.5, 51.2),
    (*b"RO", 46.0, 25.0),
    (*b"RS", 44.0, 21.0),
    (*b"RU", 60.0, 100.0),
    (*b"RW", -2.0, 30.0),
    (*b"SA", 25.0, 45.0),
    (*b"SB", -8.0, 159.0),
    (*b"SC", -4.6, 55.7),
    (*b"SD", 15.0, 30.0),
    (*b"SE", 62.0, 15.0),
    (*b"SG", 1.4, 103.8),
    (*b"SI", 46.1, 14.8),
    (*b"SK", 48.7, 19.5),
    (*b"SL", 8.5, -11.5),
    (*b"SM", 43.9, 12.4),
    (*b"SN", 14.0, -14.0),
    (*b"SO", 10.0, 49.0),
    (*b"SR", 4.0, -56.0),
    (*b"SS", 7.0, 30.0),
    (*b"SV", 13.8, -88.9),
    (*b"SY", 35.0, 38.0),
    (*b"SZ", -26.5, 31.5),
    (*b"TD", 15.0, 19.0),
    (*b"TG", 8.0, 1.2),
    (*b"TH", 15.0, 100.0),
    (*b"TJ", 39.0, 71.0),
    (*b"TL", -8.8, 125.9),
    (*b"TM", 40.0, 60.0),
    (*b"TN", 34.0, 9.0),
    (*b"TO", -20.0, -175.0),
    (*b"TR", 39.0, 35.0),
    (*b"TT", 11.0, -61.0),
    (*b"TW", 23.5, 121.0),
    (*b"TZ", -6.0, 35.0),
    (*b"UA", 49.0, 32.0),
    (*b"UG", 1.0, 32.0),
    (*b"US", 38.0, -97.0),
    (*b"UY", -33.0, -56.0),
    (*b"UZ", 41.0, 64.0),
    (*b"VA", 41.9, 12.5),
    (*b"VC", 13.3, -61.2),
    (*b"VE", 8.0, -66.0),
    (*b"VN", 16.0, 106.0),
    (*b"VU", -16.0, 167.0),
    (*b"WS", -13.6, -172.3),
    (*b"XK", 42.6, 20.9),
    (*b"YE", 15.0, 48.0),
    (*b"ZA", -29.0, 24.0),
    (*b"ZM", -15.0, 30.0),
    (*b"ZW", -20.0, 30.0),
];

/// The centroid of a country (a code from [`super::hashing::country_code`]).
pub(crate) fn centroid(code: u16) -> Option<(f64, f64)> {
    let key = code.to_be_bytes();
    CENTROIDS
        .binary_search_by(|(c, _, _)| c.cmp(&key))
        .ok()
        .map(|i| (f64::from(CENTROIDS[i].1), f64::from(CENTROIDS[i].2)))
}

/// Great-circle distance in km between two (latitude, longitude) points in degrees.
pub(crate) fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0;
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Whether a (latitude, longitude) pair is a real position.
pub(crate) fn valid(p: (f64, f64)) -> bool {
    p.0.is_finite() && p.1.is_finite() && p.0.abs() <= 90.0 && p.1.abs() <= 180.0
}

#[cfg(test)]
mod tests {
    use super::super::hashing::country_code;
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(CENTROIDS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(CENTROIDS
            .iter()
            .all(|(_, lat, lon)| valid((f64::from(*lat), f64::from(*lon)))));
    }

    #[test]
    fn distances_are_plausible() {
        let de = centroid(country_code("DE").unwrap()).unwrap();
        let us = centroid(country_code("US").unwrap()).unwrap();
        let d = distance_km(de, us);
        assert!((7000.0..9000.0).contains(&d), "{d}");
        assert_eq!(distance_km(de, de), 0.0);
        assert!(centroid(country_code("ZZ").unwrap()).is_none());
        // Berlin to Paris, about 880 km.
        let d = distance_km((52.52, 13.40), (48.86, 2.35));
        assert!((850.0..900.0).contains(&d), "{d}");
    }
}
