// Browser entry: bundled by the dev asset build and by build.ts. Lit components register themselves on import.
import './components/ironstar-chart.ts'
import '../src/features/sortable/web/sortable-list.ts'
