"""What a firm decides around the rules: policy values, waivers, the previous night's baseline."""
